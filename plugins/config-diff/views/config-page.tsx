import { ui } from "odoodeck/sdk";
import type { ConfigView } from "../present.ts";
import { Findings, Value } from "./parts.tsx";

const NOTICE_KIND = { error: "error", warning: "warn", info: "info" } as const;

/** The Config tab: parsed odoo.conf against Odoo 17 defaults, findings, system parameters. */
export function ConfigPage(props: { view: ConfigView; base: string; canReveal: boolean }) {
  const v = props.view;
  return (
    <div class="stack">
      {v.error ? (
        <ui.Flash kind="error" message={v.error.message} hint={v.error.hint} code={v.error.code} />
      ) : null}
      {v.notices.length ? (
        <ui.Card title="Parser notes" id="notices">
          <ul>
            {v.notices.map((n) => (
              <li>
                <ui.Badge kind={NOTICE_KIND[n.severity]}>{n.severity}</ui.Badge>{" "}
                {n.line ? `line ${n.line}: ` : ""}
                {n.message}
              </li>
            ))}
          </ul>
        </ui.Card>
      ) : null}
      {v.error ? null : <Findings findings={v.findings} />}
      {v.error ? null : (
        <ui.Card
          title={
            <>
              odoo.conf <small class="muted mono">{v.confPath}</small>
            </>
          }
          actions={<a href={`${props.base}/config/history`}>History</a>}
        >
          <ui.Table
            id="conf"
            rows={v.rows}
            empty="The [options] section is empty: Odoo runs on its defaults."
            columns={[
              { label: "Key", render: (r) => <code class="mono">{r.key}</code> },
              {
                label: "Value",
                render: (r) => (
                  <span id={`v-conf-${r.key}`}>
                    <Value v={r.value} />{" "}
                    {r.secret && r.value != null && props.canReveal ? (
                      <RevealButton base={props.base} scope="conf" k={r.key} />
                    ) : null}
                  </span>
                ),
              },
              {
                label: "Odoo default",
                render: (r) => (r.known ? <Value v={r.default} /> : <span class="muted">—</span>),
              },
              {
                label: "Differs?",
                render: (r) =>
                  r.differs ? <ui.Badge kind="warn">differs</ui.Badge> : <ui.Badge>default</ui.Badge>,
              },
              { label: "What it does", render: (r) => <small>{r.help}</small> },
            ]}
          />
          <h3>Addons paths</h3>
          {v.addonsPaths.length ? (
            <ol id="addons">
              {v.addonsPaths.map((p) => (
                <li>
                  <code class="mono">{p}</code>
                </li>
              ))}
            </ol>
          ) : (
            <p class="muted">Only Odoo's own addons.</p>
          )}
        </ui.Card>
      )}
      {v.error
        ? null
        : v.sections.map((s) => (
            <ui.Card title={`[${s.name}]`} id={`section-${s.name}`}>
              <p class="muted">Odoo's own options ignore this section; an addon that reads it uses it.</p>
              <ui.Table
                rows={s.values}
                empty="No keys."
                columns={[
                  { label: "Key", render: (r) => <code class="mono">{r.key}</code> },
                  {
                    label: "Value",
                    render: (r) => (
                      <span id={`v-section-${s.name}-${r.key}`}>
                        <Value v={r.value} />
                      </span>
                    ),
                  },
                ]}
              />
            </ui.Card>
          ))}
      {v.error ? null : (
        <ui.Card
          title={
            <>
              System parameters <small class="muted mono">{v.dbName ?? ""}</small>
            </>
          }
          id="params"
        >
          {v.paramsError ? (
            <ui.Flash
              kind="error"
              message={v.paramsError.message}
              hint={v.paramsError.hint}
              code={v.paramsError.code}
            />
          ) : (
            <ui.Table
              rows={v.params ?? []}
              empty="No ir_config_parameter rows."
              columns={[
                { label: "Key", render: (r) => <code class="mono">{r.key}</code> },
                {
                  label: "Value",
                  render: (r) => (
                    <span id={`v-params-${r.key}`}>
                      <Value v={r.value} />{" "}
                      {r.secret && r.value != null && props.canReveal ? (
                        <RevealButton base={props.base} scope="params" k={r.key} />
                      ) : null}
                    </span>
                  ),
                },
              ]}
            />
          )}
        </ui.Card>
      )}
    </div>
  );
}

function RevealButton(props: { base: string; scope: "conf" | "params"; k: string }) {
  return (
    <ui.Form
      action={`${props.base}/config/reveal`}
      class="row"
      attrs={{
        "hx-post": `${props.base}/config/reveal`,
        "hx-target": "closest span",
        "hx-swap": "innerHTML",
      }}
    >
      <input type="hidden" name="scope" value={props.scope} />
      <input type="hidden" name="key" value={props.k} />
      <button class="button" type="submit" title="Shows the value once; recorded in the audit log">
        Reveal
      </button>
    </ui.Form>
  );
}
