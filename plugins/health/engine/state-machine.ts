import type { Status } from "../types.ts";

/** The confirmed state of one check of one instance, plus the streak that may replace it. */
export interface CheckState {
  state: Status | null;
  since: string | null;
  candidate: Status | null;
  streak: number;
  /**
   * A change happened inside a maintenance window and was not announced; `silencedFrom` is the
   * state people last heard of. When the window ends the difference, if any, is announced.
   */
  silenced?: boolean;
  silencedFrom?: Status | null;
}

export interface Transition {
  from: Status | null;
  to: Status;
}

export const INITIAL_STATE: CheckState = { state: null, since: null, candidate: null, streak: 0 };

/**
 * Feeds one result. The state changes only after `needed` consecutive results agree, so a
 * single slow answer does not page anyone. The very first result is adopted at once: a new
 * instance should show its status immediately.
 */
export function advance(
  prev: CheckState,
  status: Status,
  at: string,
  needed: number,
): { next: CheckState; transition: Transition | null } {
  if (prev.state === null) {
    return {
      next: { state: status, since: at, candidate: null, streak: 0 },
      transition: { from: null, to: status },
    };
  }
  if (status === prev.state) return { next: { ...prev, candidate: null, streak: 0 }, transition: null };
  const streak = prev.candidate === status ? prev.streak + 1 : 1;
  if (streak >= Math.max(1, needed)) {
    return {
      next: { state: status, since: at, candidate: null, streak: 0 },
      transition: { from: prev.state, to: status },
    };
  }
  return { next: { ...prev, candidate: status, streak }, transition: null };
}

/** Transitions worth an alert: anything that involves warning or critical (incl. recovery). */
export function isAlerting(t: Transition): boolean {
  const loud = (s: Status | null) => s === "warning" || s === "critical";
  return loud(t.to) || (t.from !== null && loud(t.from));
}
