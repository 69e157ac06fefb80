import { ui } from "odoodeck/sdk";
import type { ErrorGroup } from "../search/summary.ts";
import { Assets, type AssetUrls, LogsNav, type Problem } from "./logs-page.tsx";

/** Distinct errors of a period, grouped by logger and first line, most frequent first. */
export function ErrorsPage(props: {
  base: string;
  assets: AssetUrls;
  hours: number;
  since: string | null;
  groups: ErrorGroup[];
  files: string[];
  problem: Problem | null;
  viewHref: (g: ErrorGroup) => string;
}) {
  const total = props.groups.reduce((n, g) => n + g.count, 0);
  const period = props.since ? `since ${props.since}` : `in the last ${props.hours} h`;
  return (
    <div class="logs">
      <Assets urls={props.assets} />
      <LogsNav base={props.base} active="errors" />
      <form method="get" action={`${props.base}/errors`} class="row logs-period">
        <label>
          Last{" "}
          <input name="hours" value={String(props.hours)} size={4} inputmode="numeric" aria-label="Hours" />{" "}
          hours
        </label>
        <button type="submit" class="secondary">
          Show
        </button>
      </form>
      {props.problem ? <ui.Flash kind="error" {...props.problem} /> : null}
      <ui.Card title={`Errors ${period}`}>
        <p
          class="muted"
          id="errors-total"
          data-total={String(total)}
          data-kinds={String(props.groups.length)}
        >
          {total} error record{total === 1 ? "" : "s"} of {props.groups.length} kind
          {props.groups.length === 1 ? "" : "s"} in {props.files.length} file
          {props.files.length === 1 ? "" : "s"}.
        </p>
        <ui.Table
          id="errors-table"
          rows={props.groups}
          empty={`No error ${period}.`}
          columns={[
            { label: "Level", render: (g) => <ui.Badge kind="error">{g.level}</ui.Badge> },
            { label: "Logger", render: (g) => <code>{g.logger}</code> },
            {
              label: "Error",
              render: (g) => (
                <>
                  <a href={props.viewHref(g)}>{g.message}</a>
                  {g.exception ? (
                    <>
                      <br />
                      <small class="mono">{g.exception}</small>
                    </>
                  ) : null}
                </>
              ),
            },
            {
              label: "Count",
              class: "num",
              render: (g) => <span data-count={String(g.count)}>{g.count}</span>,
            },
            { label: "First seen", render: (g) => g.firstSeen ?? "—" },
            { label: "Last seen", render: (g) => g.lastSeen ?? "—" },
          ]}
        />
      </ui.Card>
    </div>
  );
}
