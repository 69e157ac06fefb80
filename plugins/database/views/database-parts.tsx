import { ui } from "../../../server/sdk/index.ts";
import type { DatabaseReport, SectionName } from "../load-report.ts";
import { ActivityCard, CronsCard, TablesCard } from "./health-cards.tsx";
import { FilestoreCard, OverviewCard, RollbackCard } from "./overview-cards.tsx";

/** The cards of the Database tab, in page order, with the report sections each one needs. */
export const DATABASE_PARTS = {
  overview: { label: "database size and largest tables", sections: ["overview", "odoo"] },
  filestore: { label: "filestore", sections: ["filestore"] },
  crons: { label: "crons and mail queue", sections: ["health"] },
  activity: { label: "running queries", sections: ["activity"] },
  tables: { label: "table statistics", sections: ["tables"] },
  rollback: { label: "rollback copies", sections: ["rollback copies"] },
} as const satisfies Record<string, { label: string; sections: readonly SectionName[] }>;

export type DatabasePartName = keyof typeof DATABASE_PARTS;

export const isDatabasePart = (x: string): x is DatabasePartName => Object.hasOwn(DATABASE_PARTS, x);

/**
 * Stands in for one card until htmx fetches it right after the page has loaded: the page itself
 * answers at once, whatever the size of the database or filestore.
 */
export function PartPlaceholder(props: { base: string; part: DatabasePartName }) {
  return (
    <div
      class="db-part loading"
      data-part={props.part}
      hx-get={`${props.base}/part/${props.part}`}
      hx-trigger="load"
      hx-swap="outerHTML"
    >
      <p class="muted">Loading {DATABASE_PARTS[props.part].label}…</p>
    </div>
  );
}

/** One card as its fragment answers it; a failure to reach the database shows in the overview only. */
export function DatabasePart(props: {
  part: DatabasePartName;
  r: DatabaseReport;
  base: string;
  longSeconds: number;
}) {
  const { part, r, base } = props;
  const errors = r.errors.filter(
    (e) => part === "overview" || (e.section !== "conf" && e.section !== "database"),
  );
  return (
    <div class="db-part" data-part={part}>
      <div class="section-errors">
        {errors.map((e) => (
          <ui.Flash kind="error" message={`${e.section}: ${e.message}`} hint={e.hint} code={e.code} />
        ))}
      </div>
      {part === "overview" ? <OverviewCard r={r} /> : null}
      {part === "filestore" ? <FilestoreCard r={r} /> : null}
      {part === "crons" ? <CronsCard r={r} /> : null}
      {part === "activity" ? <ActivityCard r={r} base={base} longSeconds={props.longSeconds} /> : null}
      {part === "tables" ? <TablesCard r={r} base={base} /> : null}
      {part === "rollback" ? <RollbackCard r={r} base={base} /> : null}
    </div>
  );
}
