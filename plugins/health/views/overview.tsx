import { ui } from "../../../server/sdk/index.ts";
import type { InstanceSummary } from "../engine/monitor.ts";
import { pct, StatusLight } from "./status.tsx";

/** All instances, worst first; each row lists its failing checks first. */
export function Overview(props: { rows: InstanceSummary[] }) {
  if (!props.rows.length)
    return (
      <div class="stack">
        <h1>Health</h1>
        <ui.Empty title="No instance to watch yet.">
          <p>Add an Odoo instance; its checks run every minute.</p>
        </ui.Empty>
      </div>
    );
  return (
    <div class="stack">
      <h1>Health</h1>
      <ui.Card title="Health of all instances">
        <ui.Table
          id="health-overview"
          rows={props.rows}
          columns={[
            { label: "Status", render: (r) => <StatusLight status={r.status} /> },
            {
              label: "Instance",
              render: (r) => (
                <a href={`/p/health/i/${r.id}/`}>
                  {r.name}
                  {r.production ? " (production)" : ""}
                </a>
              ),
            },
            {
              label: "Failing checks",
              render: (r) => {
                // A check about to change state is listed too, with what it waits for.
                const failing = r.checks.filter((c) => c.shown.status !== "ok" || c.shown.pending);
                if (!failing.length)
                  return <span class="muted">{r.checks.length ? "all checks ok" : "not checked yet"}</span>;
                return (
                  <ul class="health-failing">
                    {failing.map((c) => (
                      <li data-check={c.check}>
                        <StatusLight status={c.shown.status} /> <strong>{c.label}</strong>: {c.shown.message}
                      </li>
                    ))}
                  </ul>
                );
              },
            },
            { label: "Uptime 24 h", render: (r) => pct(r.uptime["24h"]) },
            { label: "7 d", render: (r) => pct(r.uptime["7d"]) },
            { label: "30 d", render: (r) => pct(r.uptime["30d"]) },
            {
              label: "Maintenance",
              render: (r) =>
                r.maintenance ? `until ${r.maintenance.endsAt.slice(0, 16)}: ${r.maintenance.reason}` : "",
            },
          ]}
        />
      </ui.Card>
    </div>
  );
}
