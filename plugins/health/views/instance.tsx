import { ui } from "../../../server/sdk/index.ts";
import type { Point } from "../metrics/downsample.ts";
import type { InstanceSummary } from "../engine/monitor.ts";
import type { MaintenanceWindow } from "../store.ts";
import { LineChart } from "./chart.tsx";
import { pct, StatusLight } from "./status.tsx";

export interface Series {
  title: string;
  unit: string;
  points: Point[];
  warning?: number;
  critical?: number;
}

export function InstanceHealth(props: {
  s: InstanceSummary;
  series: Series[];
  windows: MaintenanceWindow[];
  canOperate: boolean;
}) {
  const { s } = props;
  return (
    <div class="health-instance">
      <ui.Card title={<>Health of {s.name}</>} actions={<StatusLight status={s.status} />}>
        <p>
          Uptime: 24 h <strong>{pct(s.uptime["24h"])}</strong> · 7 d <strong>{pct(s.uptime["7d"])}</strong> ·
          30 d <strong>{pct(s.uptime["30d"])}</strong>
        </p>
        {s.maintenance ? (
          <ui.Flash
            kind="info"
            message={`In maintenance until ${s.maintenance.endsAt}: alerts are silenced`}
            hint={s.maintenance.reason}
          />
        ) : null}
        <ui.Table
          id="health-checks"
          rows={s.checks}
          empty="Not checked yet."
          columns={[
            { label: "State", render: (c) => <StatusLight status={c.shown.status} /> },
            { label: "Check", render: (c) => c.label },
            {
              label: "Last result",
              render: (c) => (
                <>
                  {c.status}
                  {c.timedOut ? " (timeout)" : ""}
                </>
              ),
            },
            { label: "Message", render: (c) => c.shown.message },
            { label: "At", render: (c) => <ui.Time at={c.at} /> },
          ]}
        />
      </ui.Card>
      <ui.Card title="History (7 days)">
        {props.series.map((x) => (
          <LineChart
            title={x.title}
            unit={x.unit}
            points={x.points}
            warning={x.warning}
            critical={x.critical}
          />
        ))}
      </ui.Card>
      <ui.Card title="Maintenance windows">
        <ui.Table
          rows={props.windows}
          empty="No maintenance window."
          columns={[
            { label: "From", render: (w) => w.startsAt },
            { label: "To", render: (w) => w.endsAt },
            { label: "Reason", render: (w) => w.reason },
            { label: "By", render: (w) => w.createdBy },
          ]}
        />
        {props.canOperate ? (
          <ui.Form action={`/p/health/i/${s.id}/maintenance`}>
            <ui.Field label="From (UTC)" name="from" type="datetime-local" required />
            <ui.Field label="To (UTC)" name="to" type="datetime-local" required />
            <ui.Field label="Reason" name="reason" required />
            <button type="submit">Add maintenance window</button>
          </ui.Form>
        ) : null}
      </ui.Card>
    </div>
  );
}
