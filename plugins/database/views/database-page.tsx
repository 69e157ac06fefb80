import type { Child } from "hono/jsx";
import { ui } from "../../../server/sdk/index.ts";
import type { DatabaseReport } from "../load-report.ts";
import { ActivityCard, CronsCard, TablesCard } from "./health-cards.tsx";
import { FilestoreCard, OverviewCard, RollbackCard } from "./overview-cards.tsx";

export function DatabasePage(props: {
  r: DatabaseReport;
  base: string;
  longSeconds: number;
  /** e.g. "VACUUM ANALYZE res_partner started: follow it" */
  notice?: Child;
}) {
  const { r, base } = props;
  return (
    <div>
      {props.notice}
      <div class="section-errors">
        {r.errors.map((e) => (
          <ui.Flash kind="error" message={`${e.section}: ${e.message}`} hint={e.hint} code={e.code} />
        ))}
      </div>
      <OverviewCard r={r} />
      <FilestoreCard r={r} />
      <CronsCard r={r} />
      <ActivityCard r={r} base={base} longSeconds={props.longSeconds} />
      <TablesCard r={r} base={base} />
      <RollbackCard r={r} base={base} />
    </div>
  );
}
