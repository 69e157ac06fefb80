/** The templates page: what each template is, its neutralization, and the make/refresh form. */
import { ui } from "../../../server/sdk/index.ts";
import type { TemplateRecord } from "../store.ts";

/** Checks of the neutralization report, as "n/m passed"; absent before the first refresh. */
function checksOf(report: unknown): string {
  const checks = (report as { checks?: Array<{ ok: boolean }> } | null)?.checks;
  if (!Array.isArray(checks)) return "—";
  return `${checks.filter((c) => c.ok).length}/${checks.length} checks passed`;
}

export function TemplateList(props: {
  templates: TemplateRecord[];
  instanceNames: Map<number, string>;
  canRefresh: Set<number>;
}) {
  if (!props.templates.length)
    return <ui.Empty title="No template yet">Make one from an instance with the form below.</ui.Empty>;
  return (
    <table class="table" id="templates">
      <thead>
        <tr>
          <th>Template</th>
          <th>From</th>
          <th>Status</th>
          <th>Refreshed</th>
          <th>Neutralization</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.templates.map((t) => (
          <tr data-template={t.name}>
            <td>
              {t.name} <small>{t.repo ?? "no repository"}</small>
            </td>
            <td>{props.instanceNames.get(t.instanceId) ?? `#${t.instanceId}`}</td>
            <td class="status">
              <ui.StatusBadge status={t.status} />
              {t.error ? <small class="error">{t.error}</small> : null}
            </td>
            <td>
              <ui.Time at={t.refreshedAt} />
              {t.seconds != null ? <small> in {t.seconds.toFixed(1)} s</small> : null}
            </td>
            <td class="report">{checksOf(t.report)}</td>
            <td>
              {props.canRefresh.has(t.instanceId) ? (
                <ui.Form action={`/p/previews/templates/${t.name}/refresh`}>
                  <button type="submit">Refresh from production</button>
                </ui.Form>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TemplateForm(props: { instances: Array<{ id: number; name: string }> }) {
  if (!props.instances.length)
    return <p class="muted">No instance you may operate has a database on record.</p>;
  return (
    <ui.Form action="/p/previews/templates" id="template-form">
      <ui.Field label="Name" name="name" required pattern="[a-z0-9][a-z0-9-]*" hint="e.g. acme" />
      <ui.Select
        label="From instance"
        name="instance"
        options={props.instances.map((i) => ({ value: String(i.id), label: i.name }))}
      />
      <ui.Field
        label="Addons repository"
        name="repo"
        hint="A git checkout on that server; previews check their branch out of it"
      />
      <button type="submit">Make template</button>
    </ui.Form>
  );
}
