/** The previews list, the new-preview form and a preview's page (steps, smoke, init log). */
import { ui } from "../../../server/sdk/index.ts";
import type { PreviewHealth } from "../serve/health.ts";
import type { PreviewRecord, TemplateRecord } from "../store.ts";
import { type PreviewLinks, StatusCard } from "./status.tsx";

/** `httpsPort`: where previews are served over HTTPS, null when they are not. */
export function previewUrl(
  p: Pick<PreviewRecord, "name">,
  domain: string,
  httpsPort: number | null,
): string | null {
  if (!domain) return null;
  if (httpsPort == null) return `http://${p.name}.${domain}/`;
  return `https://${p.name}.${domain}${httpsPort === 443 ? "" : `:${httpsPort}`}/`;
}

const smokeText = (p: PreviewRecord) => (p.smoke ? (p.smoke.ok ? "passed" : "failed") : "—");

/** `httpsPortOf`: where a preview is served over HTTPS, null when only over HTTP. */
export function PreviewList(props: {
  previews: PreviewRecord[];
  domain: string;
  httpsPortOf: (name: string) => number | null;
}) {
  if (!props.previews.length)
    return <ui.Empty title="No preview yet">Create one from a template with the form below.</ui.Empty>;
  return (
    <table class="table" id="previews">
      <thead>
        <tr>
          <th>Name</th>
          <th>Owner</th>
          <th>URL</th>
          <th>Expires</th>
          <th>Status</th>
          <th>Smoke</th>
        </tr>
      </thead>
      <tbody>
        {props.previews.map((p) => {
          const url = previewUrl(p, props.domain, props.httpsPortOf(p.name));
          return (
            <tr data-preview={p.name}>
              <td>
                <a href={`/p/previews/${p.name}`}>{p.name}</a> <small>{p.branch}</small>
              </td>
              <td>{p.owner}</td>
              <td>{url && p.status !== "failed" ? <a href={url}>{url}</a> : "—"}</td>
              <td>{p.promoted ? "staging (kept)" : <ui.Time at={p.expiresAt} />}</td>
              <td class="status">{p.status}</td>
              <td class="smoke">{smokeText(p)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function NewPreviewForm(props: { templates: TemplateRecord[] }) {
  const ready = props.templates.filter((t) => t.status === "ready");
  return (
    <ui.Form action="/p/previews/new">
      <ui.Field label="Name" name="name" required pattern="[a-z0-9][a-z0-9-]*" hint="e.g. feature-sale" />
      <label class="field">
        <span>Template</span>
        <select name="template" required>
          {ready.map((t) => (
            <option value={t.name}>{t.name}</option>
          ))}
        </select>
      </label>
      <ui.Field label="Branch" name="branch" required />
      <button type="submit">New preview</button>
    </ui.Form>
  );
}

export function PreviewDetail(props: {
  p: PreviewRecord;
  url: string | null;
  initLog: string;
  canWrite: boolean;
  health: PreviewHealth;
  links: PreviewLinks;
}) {
  const { p } = props;
  return (
    <div>
      <ui.Card title={`Preview ${p.name}`}>
        <dl>
          <dt>Status</dt>
          <dd class="status">{p.status}</dd>
          <dt>Branch</dt>
          <dd>
            {p.branch} {p.commitSha ? <code>{p.commitSha.slice(0, 10)}</code> : null}
          </dd>
          <dt>Owner</dt>
          <dd>{p.owner}</dd>
          <dt>URL</dt>
          <dd>{props.url ? <a href={props.url}>{props.url}</a> : "set the preview domain"}</dd>
          <dt>Database</dt>
          <dd>
            <code>{p.dbName}</code>
          </dd>
          <dt>Modules</dt>
          <dd>{Object.keys(p.modules ?? {}).join(", ") || "—"}</dd>
          {p.failedStep ? (
            <>
              <dt>Failed step</dt>
              <dd class="failed-step">{p.failedStep}</dd>
              <dt>Error</dt>
              <dd class="error">{p.error}</dd>
            </>
          ) : null}
        </dl>
        {p.operationId ? <a href={`/operations/${p.operationId}`}>Steps of the last run</a> : null}
      </ui.Card>
      <StatusCard p={p} health={props.health} links={props.links} />
      {p.smoke ? (
        <ui.Card title="Smoke gate">
          <ul id="smoke">
            {p.smoke.checks.map((c) => (
              <li data-ok={String(c.ok)}>
                {c.ok ? "✓" : "✗"} {c.name}: {c.detail}
              </li>
            ))}
          </ul>
        </ui.Card>
      ) : null}
      {props.canWrite ? (
        <div class="actions">
          {["update", "reset", "promote"].map((a) => (
            <ui.Form action={`/p/previews/${p.name}/${a}`}>
              <button type="submit">{a[0].toUpperCase() + a.slice(1)}</button>
            </ui.Form>
          ))}
          {/* Destroy drops its database and filestore: the name is typed, as for an instance. */}
          <ui.Form action={`/p/previews/${p.name}/destroy`} class="row">
            <input
              name="confirm"
              placeholder={`type ${p.name} to confirm`}
              aria-label={`Type ${p.name} to confirm destroying it`}
              autocomplete="off"
              required
            />
            <button type="submit" class="danger">
              Destroy
            </button>
          </ui.Form>
        </div>
      ) : null}
      <ui.Card title="Init log">
        <pre id="init-log">{props.initLog || "(empty)"}</pre>
      </ui.Card>
    </div>
  );
}
