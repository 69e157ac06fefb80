import {
  AppError,
  type AppContext,
  type InstanceHandle,
  type PluginContext,
  type Principal,
} from "../../../server/sdk/index.ts";

/**
 * Who may change an instance: an operator, except on production where only an admin may, and only
 * after typing the instance's name. Refusals are audited too: someone tried.
 */
export async function authorizeChange(
  ctx: PluginContext<any>,
  c: AppContext,
  inst: InstanceHandle,
  confirm: string | undefined,
  action: string,
): Promise<Principal> {
  if (!inst.production) return ctx.auth.require(c, "operator", inst.id);
  const p = await ctx.auth.require(c, "admin", inst.id);
  if ((confirm ?? "").trim() !== inst.name) {
    await ctx.audit(c, {
      action,
      target: inst.name,
      instanceId: inst.id,
      result: "error",
      details: { refused: "E_CONFIRMATION" },
    });
    throw new AppError(
      "E_CONFIRMATION",
      `"${inst.name}" is a production instance: type its name to confirm`,
      {
        hint: `Enter exactly "${inst.name}" in the confirmation field`,
      },
    );
  }
  return p;
}
