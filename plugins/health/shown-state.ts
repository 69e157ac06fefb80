import type { CheckState } from "./engine/state-machine.ts";
import type { Status } from "./types.ts";

/** What a page says about one check: a state and a message that never contradict each other. */
export interface ShownState {
  status: Status;
  message: string;
  /** "critical after 3 failures: 1 of 3" while the latest results have not yet changed the state. */
  pending: string | null;
}

const RESULTS: Record<Status, string> = {
  ok: "good results",
  critical: "failures",
  warning: "warnings",
  unknown: "unknown results",
};

/**
 * The one place that turns a confirmed state and the latest result into words. A state only
 * changes after `needed` results in a row, so a fresh result may disagree with it: the message
 * then says what the state waits for instead of showing the other result's words beside it.
 *
 * @example
 * shownState({ state: "ok", candidate: "critical", streak: 1 }, { status: "critical", message: "connection refused" }, 3)
 * // { status: "ok", pending: "critical after 3 failures in a row: 1 of 3", message: "critical after 3 failures in a row: 1 of 3 (last result: connection refused)" }
 */
export function shownState(
  s: Pick<CheckState, "state" | "candidate" | "streak"> | null,
  last: { status: Status; message: string },
  needed: number,
): ShownState {
  const state = s?.state ?? null;
  if (state === null || state === last.status)
    return { status: last.status, message: last.message, pending: null };
  const seen = s?.candidate === last.status ? s.streak : 1;
  const n = Math.max(1, needed);
  const pending = `${last.status} after ${n} ${RESULTS[last.status]} in a row: ${Math.min(seen, n)} of ${n}`;
  return { status: state, message: `${pending} (last result: ${last.message})`, pending };
}
