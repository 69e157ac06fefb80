import { ui } from "odoodeck/sdk";
import type { Comparison } from "../present.ts";
import { DiffTable } from "./parts.tsx";

export interface InstanceOption {
  id: number;
  name: string;
}

/** Two selects, then odoo.conf, addons paths and system parameters side by side. */
export function DiffPage(props: {
  instances: InstanceOption[];
  a: string;
  b: string;
  cmp: Comparison | null;
}) {
  const options = [
    { value: "", label: "— choose —" },
    ...props.instances.map((i) => ({ value: String(i.id), label: i.name })),
  ];
  const cmp = props.cmp;
  const L = cmp?.left.name ?? "Left";
  const R = cmp?.right.name ?? "Right";
  return (
    <div class="stack">
      <h1>Config diff</h1>
      <ui.Card title="Compare two instances">
        <form method="get" action="/p/config-diff/" class="row">
          <ui.Select label="Left" name="a" options={options} value={props.a} />
          <ui.Select label="Right" name="b" options={options} value={props.b} />
          <button class="button" type="submit">
            Compare
          </button>
        </form>
      </ui.Card>
      {cmp ? (
        <>
          {cmp.problems.map((p) => (
            <ui.Flash
              kind="error"
              message={`${p.side === "left" ? L : R}: ${p.what === "conf" ? "odoo.conf" : "system parameters"}: ${p.message}`}
              hint={p.hint}
            />
          ))}
          <ui.Card title="odoo.conf">
            {cmp.conf ? (
              <DiffTable
                id="conf-diff"
                rows={cmp.conf}
                left={L}
                right={R}
                empty="The two [options] sections are identical."
              />
            ) : (
              <p class="muted">Not comparable: one file could not be read.</p>
            )}
          </ui.Card>
          <ui.Card title="Addons paths">
            <ui.Table
              id="addons-diff"
              rows={cmp.addons}
              empty="Neither instance sets addons_path."
              columns={[
                { label: "Folder", render: (r) => <code class="mono">{r.path}</code> },
                { label: L, render: (r) => (r.leftIndex == null ? "—" : `#${r.leftIndex + 1}`) },
                { label: R, render: (r) => (r.rightIndex == null ? "—" : `#${r.rightIndex + 1}`) },
                {
                  label: "Status",
                  render: (r) => (
                    <span data-status={r.status}>
                      <ui.Badge kind={r.status === "both" ? "muted" : "info"}>
                        {r.status.replace("-", " ")}
                      </ui.Badge>
                    </span>
                  ),
                },
              ]}
            />
          </ui.Card>
          <ui.Card title={`System parameters (${cmp.left.dbName ?? "?"} ↔ ${cmp.right.dbName ?? "?"})`}>
            {cmp.params ? (
              <DiffTable
                id="params-diff"
                rows={cmp.params}
                left={L}
                right={R}
                empty="The parameters are identical."
              />
            ) : (
              <p class="muted">Not comparable: the parameters of one side could not be read.</p>
            )}
          </ui.Card>
        </>
      ) : (
        <p class="muted">Choose two instances to see how their configuration differs.</p>
      )}
    </div>
  );
}
