/** A preview's status card (health, lifetime, links) and its logs and modules pages. */
import { ui } from "../../../server/sdk/index.ts";
import type { PreviewHealth } from "../serve/health.ts";
import type { PreviewRecord } from "../store.ts";

export interface PreviewLinks {
  logs: string;
  modules: string;
  /** The mail catcher's inbox of the instance, when that plugin runs. */
  mails: string | null;
}

const healthKind = (p: PreviewRecord, h: PreviewHealth) =>
  h.web?.ok ? "ok" : p.status === "running" ? "error" : p.status === "failed" ? "error" : "muted";

export function StatusCard(props: { p: PreviewRecord; health: PreviewHealth; links: PreviewLinks }) {
  const { p, health: h, links } = props;
  return (
    <ui.Card title="Status">
      <dl id="preview-status">
        <dt>Health</dt>
        <dd class="health">
          <ui.Badge kind={healthKind(p, h)} icon>
            {h.web ? `/web/health ${h.web.detail} (${h.web.ms} ms)` : `not running (${p.status})`}
          </ui.Badge>
        </dd>
        <dt>Process</dt>
        <dd class="process">
          {h.process ? `${h.process.state}${h.process.pid ? `, pid ${h.process.pid}` : ""}` : "—"}
          {h.process?.since ? (
            <>
              {" "}
              since <ui.Time at={h.process.since} />
            </>
          ) : null}
        </dd>
        <dt>Last start</dt>
        <dd>{h.readyMs != null ? `ready in ${(h.readyMs / 1000).toFixed(1)} s` : "—"}</dd>
        <dt>Port</dt>
        <dd>{p.port ?? "—"}</dd>
        <dt>Smoke gate</dt>
        <dd class="smoke">{p.smoke ? (p.smoke.ok ? "passed" : "failed") : "—"}</dd>
        <dt>Last used</dt>
        <dd>
          <ui.Time at={p.lastUsedAt} />
        </dd>
        <dt>Expires</dt>
        <dd>{p.promoted ? "never (staging)" : <ui.Time at={p.expiresAt} />}</dd>
      </dl>
      <nav class="actions" id="preview-links">
        <a href={links.logs}>Logs</a> <a href={links.modules}>Modules</a>{" "}
        {links.mails ? <a href={links.mails}>Mails</a> : null}
      </nav>
    </ui.Card>
  );
}

export function LogsPage(props: { p: PreviewRecord; log: string; initLog: string; back: string }) {
  return (
    <div>
      <p>
        <a href={props.back}>← {props.p.name}</a>
      </p>
      <ui.Card title={`Odoo log of ${props.p.name} (last 500 lines)`}>
        <pre id="odoo-log">{props.log || "(empty: the preview has not run yet)"}</pre>
      </ui.Card>
      <ui.Card title="Install / upgrade log">
        <pre id="init-log">{props.initLog || "(empty)"}</pre>
      </ui.Card>
    </div>
  );
}

export interface ModuleRow {
  name: string;
  /** Tree hash of the module's folder in the checkout. */
  hash: string;
  state: string;
  version: string | null;
}

export function ModulesPage(props: { p: PreviewRecord; rows: ModuleRow[]; back: string }) {
  return (
    <div>
      <p>
        <a href={props.back}>← {props.p.name}</a>
      </p>
      <ui.Card title={`Modules of ${props.p.branch} in ${props.p.dbName}`}>
        {props.rows.length ? (
          <table class="table" id="preview-modules">
            <thead>
              <tr>
                <th>Module</th>
                <th>State</th>
                <th>Version</th>
                <th>Content (tree hash)</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr data-module={r.name}>
                  <td>{r.name}</td>
                  <td class="state">{r.state}</td>
                  <td>{r.version ?? "—"}</td>
                  <td>
                    <code>{r.hash.slice(0, 12)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <ui.Empty title="No module in this branch">The checkout has no __manifest__.py.</ui.Empty>
        )}
      </ui.Card>
    </div>
  );
}
