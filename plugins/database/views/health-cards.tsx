import { ui } from "../../../server/sdk/index.ts";
import type { DatabaseReport } from "../load-report.ts";

export function CronsCard(props: { r: DatabaseReport }) {
  const h = props.r.health;
  if (!h) return null;
  return (
    <ui.Card title="Odoo health">
      <p id="health-summary">
        <strong>{h.activeCrons}</strong> active crons · <strong>{h.overdueCrons}</strong> overdue ·{" "}
        <strong>{h.failingCrons}</strong> failing · mail queue:{" "}
        {Object.entries(h.mailQueue).map(([state, n]) => (
          <span class="mail-state">
            <ui.Badge kind={state === "exception" ? "error" : state === "outgoing" ? "warn" : "muted"}>
              {n} {state}
            </ui.Badge>{" "}
          </span>
        ))}
        {Object.keys(h.mailQueue).length ? null : "empty"} · <strong>{h.logErrorCount}</strong> logged errors
      </p>
      <ui.Table
        id="crons"
        rows={h.crons.filter((c) => c.active)}
        columns={[
          { label: "Cron", render: (c) => c.name },
          { label: "Last run", render: (c) => <ui.Time at={c.lastCall} /> },
          { label: "Next run", render: (c) => <ui.Time at={c.nextCall} /> },
          {
            label: "",
            render: (c) => (
              <>
                {c.overdue ? <ui.Badge kind="warn">overdue</ui.Badge> : null}
                {c.failures ? <ui.Badge kind="error">{c.failures} failure(s)</ui.Badge> : null}
              </>
            ),
          },
        ]}
      />
      {h.logErrors.length ? (
        <ui.Table
          id="log-errors"
          rows={h.logErrors}
          columns={[
            { label: "When", render: (e) => e.at },
            { label: "Logger", render: (e) => e.name },
            { label: "Message", render: (e) => e.message },
          ]}
        />
      ) : null}
    </ui.Card>
  );
}

export function ActivityCard(props: { r: DatabaseReport; base: string; longSeconds: number }) {
  const a = props.r.activity;
  if (!a) return null;
  return (
    <ui.Card title="Running queries and locks">
      <ui.Table
        id="activity"
        rows={a}
        empty="No query is running."
        columns={[
          { label: "pid", render: (q) => q.pid },
          { label: "User", render: (q) => q.user ?? "" },
          { label: "State", render: (q) => q.state ?? "" },
          {
            label: "Running for",
            render: (q) =>
              q.seconds >= props.longSeconds ? (
                <ui.Badge kind="warn">{q.seconds} s</ui.Badge>
              ) : (
                `${q.seconds} s`
              ),
          },
          {
            label: "Blocked by",
            render: (q) =>
              q.blockedBy.length ? <ui.Badge kind="error">{q.blockedBy.join(", ")}</ui.Badge> : "",
          },
          { label: "Query", render: (q) => <code>{q.query}</code> },
          {
            label: "",
            render: (q) => (
              <ui.Form action={`${props.base}/cancel`}>
                <input type="hidden" name="pid" value={String(q.pid)} />
                <button>Cancel</button>
              </ui.Form>
            ),
          },
        ]}
      />
    </ui.Card>
  );
}

export function TablesCard(props: { r: DatabaseReport; base: string }) {
  const t = props.r.tables;
  if (!t) return null;
  return (
    <ui.Card title="Bloat and maintenance">
      <ui.Table
        id="table-stats"
        rows={t}
        columns={[
          { label: "Table", render: (s) => s.name },
          { label: "Size", render: (s) => ui.bytes(s.bytes) },
          { label: "Live rows", render: (s) => s.liveRows },
          { label: "Dead rows", render: (s) => s.deadRows },
          {
            label: "Dead %",
            render: (s) =>
              s.deadRatio > 0.2 ? (
                <ui.Badge kind="warn">{(s.deadRatio * 100).toFixed(0)}%</ui.Badge>
              ) : (
                `${(s.deadRatio * 100).toFixed(0)}%`
              ),
          },
          { label: "Last vacuum", render: (s) => <ui.Time at={s.lastVacuum} /> },
          { label: "Last analyze", render: (s) => <ui.Time at={s.lastAnalyze} /> },
          {
            label: "",
            render: (s) => (
              <ui.Form action={`${props.base}/vacuum`}>
                <input type="hidden" name="table" value={s.name} />
                <button>VACUUM ANALYZE</button>
              </ui.Form>
            ),
          },
        ]}
      />
    </ui.Card>
  );
}
