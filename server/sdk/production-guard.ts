import { AppError } from "../errors.ts";
import type { AuthApi, InstanceHandle, Principal } from "./types.ts";

export interface ProductionGuardInput {
  instance: Pick<InstanceHandle, "id" | "name" | "production">;
  principal: Principal | null;
  /** What the user typed back. */
  confirm: unknown;
  /** Role lookup (per-instance grants included): a plugin's `ctx.auth`. */
  auth: Pick<AuthApi, "can">;
  /** The word to type back (default the instance's name), e.g. an operation's confirm word. */
  expected?: string;
  /** What is being done, for the message ("restore over it"). */
  action?: string;
}

/**
 * THE rule for destructive actions on a production instance: only an admin (global or granted on
 * the instance) may, and only with the instance's name typed back. Non-production instances pass
 * (the caller's own role check applies). E_FORBIDDEN before E_CONFIRMATION, so nobody is asked to
 * type a name for something they may not do anyway.
 * @example
 * await productionGuard({ instance: c.var.instance, principal: c.get("principal"), confirm: form.confirm, auth: ctx.auth });
 */
export async function productionGuard(g: ProductionGuardInput): Promise<void> {
  const { instance, principal } = g;
  if (!instance.production) return;
  if (!principal) throw new AppError("E_UNAUTHENTICATED");
  const what = g.action ?? "do this";
  if (!(await g.auth.can(principal, "admin", instance.id)))
    throw new AppError("E_FORBIDDEN", `${instance.name} is marked production: only an admin may ${what}`, {
      hint: `Your role is ${principal.role}; ask an admin`,
    });
  const expected = g.expected ?? instance.name;
  if (String(g.confirm ?? "").trim() !== expected)
    throw new AppError(
      "E_CONFIRMATION",
      `${instance.name} is marked production: type "${expected}" to confirm`,
      { hint: `Enter exactly "${expected}" in the confirmation field` },
    );
}
