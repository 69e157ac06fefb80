import { ui } from "../../../server/sdk/index.ts";
import type { ModuleStatus } from "../report/report.ts";

const STATE_KIND: Record<string, "ok" | "warn" | "error" | "muted" | "info"> = {
  installed: "ok",
  "to upgrade": "warn",
  "to install": "info",
  "to remove": "warn",
  uninstallable: "muted",
  uninstalled: "muted",
  "not in database": "info",
};

export function StateBadge(props: { state: string }) {
  return <ui.Badge kind={STATE_KIND[props.state] ?? "muted"}>{props.state}</ui.Badge>;
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
