import type { Child } from "hono/jsx";
import { ui } from "../../../server/sdk/index.ts";
import type { ModulesReport } from "../report/load-report.ts";
import type { ModuleStatus } from "../report/report.ts";
import { SectionErrors } from "./errors.tsx";
import { Flags, StateBadge } from "./module-row.tsx";

export const FILTERS = {
  installed: (m: ModuleStatus) =>
    m.state === "installed" || m.state === "to upgrade" || m.state === "to remove",
  attention: (m: ModuleStatus) => m.missing || m.needsUpgrade || m.changed || !!m.manifestError,
  all: (_m: ModuleStatus) => true,
} as const;
export type FilterName = keyof typeof FILTERS;

const ROOT_SOURCE = {
  odoo: "Odoo's own odoo/addons",
  data_dir: "data_dir/addons (downloaded modules)",
  addons_path: "addons_path",
} as const;

export function ModulesPage(props: {
  report: ModulesReport;
  filter: FilterName;
  base: string;
  others: Array<{ id: number; name: string }>;
  /** The "back up first" box of the actions form. */
  backupBox?: Child;
  /** Recent actions (with the rollback of a failed one). */
  recent?: Child;
}) {
  const { report: r, base } = props;
  const s = r.summary;
  const rows = (r.modules ?? []).filter(FILTERS[props.filter]);
  return (
    <div>
      <SectionErrors errors={r.errors} />
      {s?.missing.length ? (
        <div class="flash flash-error banner-missing" role="alert">
          <strong>
            {s.missing.length} installed module{s.missing.length === 1 ? " is" : "s are"} missing from every
            addons path: {s.missing.join(", ")}
          </strong>
          <p>An upgrade or a restart that loads them will fail. Deploy their code or uninstall them first.</p>
        </div>
      ) : null}
      {s ? (
        <ui.Card title={`Modules of ${r.dbName}`}>
          <p id="modules-summary">
            <strong>{s.installed}</strong> installed · <strong>{s.needsUpgrade.length}</strong> need upgrade ·{" "}
            <strong>{s.changed.length}</strong> changed since last recorded ·{" "}
            <strong>{s.missing.length}</strong> missing · <strong>{s.unreadable.length}</strong> unreadable
            manifests
          </p>
          <p>
            Show:{" "}
            {(Object.keys(FILTERS) as FilterName[]).map((f) => (
              <>{f === props.filter ? <strong>{f}</strong> : <a href={`${base}?filter=${f}`}>{f}</a>} </>
            ))}
          </p>
          <ui.Table
            id="modules"
            rows={rows}
            empty="No module matches."
            columns={[
              { label: "Module", render: (m) => <a href={`${base}/${m.name}`}>{m.name}</a> },
              { label: "State", render: (m) => <StateBadge state={m.state} /> },
              { label: "Installed", render: (m) => m.installedVersion ?? "—" },
              { label: "On disk", render: (m) => m.diskVersion ?? "—" },
              { label: "Author", render: (m) => m.author ?? "" },
              { label: "License", render: (m) => m.license ?? "" },
              { label: "Addons path", render: (m) => <code>{m.addonsPath ?? "—"}</code> },
              { label: "", render: (m) => <Flags m={m} /> },
            ]}
          />
        </ui.Card>
      ) : null}
      <ui.Card title="Addons paths (in the order Odoo searches them)">
        <ui.Table
          rows={r.addonsPaths}
          empty="No addons path could be read."
          columns={[
            { label: "Path", render: (p) => <code>{p.path}</code> },
            { label: "Searched as", render: (p) => ROOT_SOURCE[p.source ?? "addons_path"] },
            { label: "Modules", render: (p) => p.modules },
            {
              label: "Status",
              render: (p) =>
                p.error ? (
                  <ui.Badge kind="error">{p.error.message}</ui.Badge>
                ) : (
                  <ui.Badge kind="ok">ok</ui.Badge>
                ),
            },
          ]}
        />
      </ui.Card>
      {s ? <ActionsCard report={r} base={base} backupBox={props.backupBox} /> : null}
      {props.recent}
      {props.others.length ? (
        <ui.Card title="Compare with another instance">
          <form method="get" action={`${base.replace(/\/modules$/, "")}/compare`}>
            <ui.Select
              label="Other instance"
              name="with"
              options={props.others.map((o) => ({ value: String(o.id), label: o.name }))}
            />
            <button>Compare</button>
          </form>
        </ui.Card>
      ) : null}
    </div>
  );
}

function ActionsCard(props: { report: ModulesReport; base: string; backupBox?: Child }) {
  const r = props.report;
  return (
    <ui.Card title="Actions">
      <ui.Form action={`${props.base}/action`}>
        <ui.Field
          label="Modules"
          name="modules"
          placeholder="crm, sale"
          required
          hint="Comma-separated module names"
        />
        <ui.Select label="Action" name="action" options={["upgrade", "install", "uninstall"]} />
        {props.backupBox}
        {r.production ? (
          <ui.Field
            label={`Production: type "${r.instanceName}" to confirm`}
            name="confirm"
            required
            hint="Admins only. Runs odoo-bin --stop-after-init with the instance's conf, under the instance lock."
          />
        ) : (
          <ui.Field
            label={`To uninstall, type "${r.instanceName}" to confirm`}
            name="confirm"
            hint="Uninstalling deletes the modules' data; install and upgrade need no confirmation here."
          />
        )}
        <button>Run</button>
      </ui.Form>
      <ui.Form action={`${props.base}/record`}>
        <p class="muted">
          Record the current files of every installed module as deployed: later edits show as "changed since
          last recorded".
        </p>
        <button>Record as deployed</button>
      </ui.Form>
    </ui.Card>
  );
}
