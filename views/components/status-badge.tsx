import { Badge } from "./ui.tsx";

type Kind = "ok" | "warn" | "error" | "muted" | "info";

/**
 * THE status → colour/icon map. Operations, jobs, health checks, deliveries and runtimes share
 * these words; one table keeps "cancelled" or "unknown" from being red on one page and grey on
 * the next. "running" is work in progress (an operation); a runtime that runs fine is "ok".
 */
export const STATUS_KIND: Readonly<Record<string, Kind>> = Object.freeze({
  ok: "ok",
  passed: "ok",
  verified: "ok",
  sent: "ok",
  started: "ok",
  healthy: "ok",
  ready: "ok",
  warning: "warn",
  degraded: "warn",
  error: "error",
  failed: "error",
  critical: "error",
  interrupted: "error",
  crashed: "error",
  disabled: "error",
  running: "info",
  starting: "info",
  upgrading: "info",
  restoring: "info",
  queued: "info",
  creating: "info",
  cancelled: "muted",
  skipped: "muted",
  pending: "muted",
  stopped: "muted",
  paused: "muted",
  unknown: "muted",
});

/** The colour of a status word (unknown words are muted, never alarming). */
export const statusKind = (status: string): Kind => STATUS_KIND[status] ?? "muted";

/**
 * A status with its colour and icon from the one map, and its word (colour is never the only
 * signal). `label` replaces the word shown, not the colour.
 * @example <ui.StatusBadge status="cancelled" />  // grey, on every page
 * @example <ui.StatusBadge status="ok" label="running" />  // a healthy runtime
 */
export function StatusBadge(props: { status: string; label?: string; icon?: boolean }) {
  return (
    <span class="status" data-status={props.status}>
      <Badge kind={statusKind(props.status)} icon={props.icon ?? true}>
        {props.label ?? props.status}
      </Badge>
    </span>
  );
}

/** One step of a long operation as pages show it. */
export interface StepView {
  name: string;
  status: string;
  error?: { message: string } | null;
}

/**
 * The step list of an operation: each step's status badge, its name, and its error unless it is
 * the operation's own error (shown above it already).
 * @example <ui.OperationSteps steps={op.steps} shownError={op.error?.message} />
 */
export function OperationSteps(props: { steps: StepView[]; shownError?: string | null; id?: string }) {
  return (
    <ol class="steps" id={props.id}>
      {props.steps.map((s) => (
        <li>
          <StatusBadge status={s.status} />
          {` ${s.name}`}
          {s.error && s.error.message !== props.shownError ? (
            <span class="muted"> — {s.error.message}</span>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
