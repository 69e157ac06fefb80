import { toAppError } from "../errors.ts";
import { maskText } from "../masking.ts";
import type { AppContext, AuditEntry } from "./types.ts";

/** Who acts: the request (its principal and address), or a named actor for jobs and the CLI. */
export type AuditActor = AppContext | { actor: string; ip?: string | null };

/** What `audited` needs: a plugin's `ctx` (or anything with its `audit`). */
export interface Auditor {
  audit(c: AuditActor, entry: AuditEntry): Promise<void>;
}

/**
 * Runs `fn` and records ONE audit entry whatever the outcome: result "ok", or "error" with the
 * error's code and (masked) message, so refusals are in the log too. `fn` may add details.
 * Same as `ctx.audit.wrap(c, entry, fn)`.
 * @example
 * const n = await audited(ctx, c, { action: "cache.clear", instanceId: id, target: "sessions" }, async (d) => {
 *   d.removed = await clearSessions(id);
 *   return d.removed;
 * });
 */
export async function audited<T>(
  ctx: Auditor,
  c: AuditActor,
  entry: Omit<AuditEntry, "result">,
  fn: (details: Record<string, unknown>) => Promise<T> | T,
): Promise<T> {
  const details: Record<string, unknown> = { ...entry.details };
  let out: T;
  try {
    out = await fn(details);
  } catch (e) {
    const err = toAppError(e);
    await ctx.audit(c, {
      ...entry,
      result: "error",
      details: { ...details, code: err.code, message: maskText(err.message) },
    });
    throw e;
  }
  await ctx.audit(c, { ...entry, result: "ok", ...(Object.keys(details).length ? { details } : {}) });
  return out;
}
