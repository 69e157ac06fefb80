/**
 * Per-mailbox chaos: refuse a share of messages with the mailbox's 4xx (Odoo retries) or 5xx
 * (Odoo marks the mail failed), to test those paths without a flaky relay.
 */
import type { Mailbox } from "../store/mailboxes.ts";

export interface ChaosError extends Error {
  responseCode: number;
}

export function chaosRefusal(box: Mailbox, roll: number = Math.random()): ChaosError | null {
  if (box.chaosRate <= 0 || roll >= box.chaosRate) return null;
  const code = box.chaosCode;
  const err = new Error(
    code >= 500 ? "Chaos: message permanently refused" : "Chaos: try again later",
  ) as ChaosError;
  err.responseCode = code;
  return err;
}
