import type { Child } from "hono/jsx";
import type { InstanceHandle, OperationSnapshot } from "../../../server/sdk/index.ts";
import { ui } from "../../../server/sdk/index.ts";
import type { NeutralizeLine } from "../neutralize/neutralize-report.ts";
import { countLines, type NeutralizeRecord } from "../neutralize/neutralize-report-store.ts";

const badge = { "as Odoo": "ok", "stricter than Odoo": "info", warning: "warn" } as const;

/** Each line of a neutralization report with its mark: as Odoo, stricter than Odoo, warning. */
export function NeutralizeTable(props: { lines: NeutralizeLine[] }) {
  return (
    <ui.Table
      id="neutralize-report"
      rows={props.lines}
      empty="Nothing was neutralized."
      columns={[
        { label: "What was done", render: (l) => l.text },
        { label: "Compared with Odoo", render: (l) => <ui.Badge kind={badge[l.kind]}>{l.kind}</ui.Badge> },
      ]}
    />
  );
}

export const reportHref = (instanceId: number, dbName: string) =>
  `/p/backup/i/${instanceId}/neutralization/${encodeURIComponent(dbName)}`;

/** A date a person reads the same everywhere (the page's relative times drift): UTC to the minute. */
const utcMinute = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

/** "Neutralized on <date>: N as Odoo, M stricter, K warnings — full report". */
export function NeutralizeSummary(props: { rec: NeutralizeRecord }) {
  const { rec } = props;
  const n = countLines(rec.lines);
  return (
    <span class="neutralize-summary">
      Neutralized on <time datetime={rec.neutralizedAt}>{utcMinute(rec.neutralizedAt)}</time>: {n.asOdoo} as
      Odoo, {n.stricter} stricter, {n.warnings} warning{n.warnings === 1 ? "" : "s"} —{" "}
      <a href={reportHref(rec.instanceId, rec.dbName)}>full report</a>
    </span>
  );
}

/** On the backups tab: each neutralized database of the instance, its own first. */
export function NeutralizedDatabases(props: { records: NeutralizeRecord[] }) {
  if (!props.records.length) return null;
  return (
    <ui.Card title="Neutralized databases" id="neutralized-databases">
      <ul class="plain">
        {props.records.map((r) => (
          <li>
            <code>{r.dbName}</code>{" "}
            {r.target === "instance" ? "(this instance's database)" : "(new database)"}:{" "}
            <NeutralizeSummary rec={r} />
          </li>
        ))}
      </ul>
    </ui.Card>
  );
}

export function NeutralizeReportPage(props: { inst: InstanceHandle; rec: NeutralizeRecord }) {
  const { inst, rec } = props;
  return (
    <ui.Card title={`Neutralization of ${rec.dbName}`}>
      <p>
        <NeutralizeSummary rec={rec} />
      </p>
      <p class="muted">
        {rec.target === "instance"
          ? `Restored into ${inst.name}'s own database`
          : "Restored as a new database"}{" "}
        by <a href={`/operations/${rec.operationId}`}>this operation</a>.
      </p>
      <NeutralizeTable lines={rec.lines} />
    </ui.Card>
  );
}

/** On a restore or copy operation's page: the report from its result. */
export function OperationNeutralizeReport(op: OperationSnapshot): Child {
  const lines = (op.result as { neutralizeReport?: NeutralizeLine[] } | undefined)?.neutralizeReport;
  if (!lines?.length) return null;
  return (
    <ui.Card title="Neutralization report">
      <NeutralizeTable lines={lines} />
    </ui.Card>
  );
}
