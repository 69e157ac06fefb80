import { AppError, type OperationSnapshot, type PluginContext } from "../../../server/sdk/index.ts";

/**
 * The final snapshot of an operation a route started through `ctx.operations.invoke` (a finished
 * one stays in memory a minute, so one that ended before the call is still seen).
 */
export function finishedOf(ctx: PluginContext<any>, id: string): Promise<OperationSnapshot> {
  return new Promise((resolve, reject) => {
    const off = ctx.events.on("operation.finished", (s) => {
      if (s.id !== id) return;
      off();
      resolve(s);
    });
    const now = ctx.operations.get(id);
    if (now?.status === "running") return;
    off();
    if (now) resolve(now);
    else reject(new AppError("E_INTERNAL", `Operation ${id} is gone`, { hint: `See /operations/${id}` }));
  });
}
