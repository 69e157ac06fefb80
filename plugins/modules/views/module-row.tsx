import { ui } from "../../../server/sdk/index.ts";
import type { ModuleStatus } from "../report/report.ts";

/** Odoo's module states in the words of the one status table (so the colours match every page). */
const STATE_STATUS: Record<string, string> = {
  installed: "ok",
  "to upgrade": "warning",
  "to install": "queued",
  "to remove": "warning",
  uninstallable: "unknown",
  uninstalled: "stopped",
  "not in database": "queued",
};

export function StateBadge(props: { state: string }) {
  return <ui.StatusBadge status={STATE_STATUS[props.state] ?? "unknown"} label={props.state} icon={false} />;
}

/** The flags of a module, worst first. */
export function Flags(props: { m: ModuleStatus }) {
  const m = props.m;
  return (
    <span class="flags">
      {m.missing ? <ui.Badge kind="error">missing on disk</ui.Badge> : null}
      {m.manifestError ? (
        <span title={m.manifestError}>
          <ui.Badge kind="error">manifest unreadable</ui.Badge>
        </span>
      ) : null}
      {m.needsUpgrade ? <ui.Badge kind="warn">needs upgrade</ui.Badge> : null}
      {m.changed ? <ui.Badge kind="warn">changed since last recorded</ui.Badge> : null}
    </span>
  );
}
