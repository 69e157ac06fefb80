/**
 * Start, stop and restart of a registered instance as plain functions: the REST route and the
 * page call them (and SDK operations can wrap them later). A start or restart answers once Odoo
 * is ready, with the readiness time; the lifecycle state follows each step.
 */
import { AppError } from "../errors.ts";
import type { InstanceHandle } from "../sdk/types.ts";
import type { Runtimes } from "./runtimes.ts";
import type { LifecycleState } from "./types.ts";

export type RuntimeAction = "start" | "stop" | "restart";
export const RUNTIME_ACTIONS: readonly RuntimeAction[] = ["start", "stop", "restart"];

export interface RuntimeActionResult {
  action: RuntimeAction;
  state: LifecycleState;
  /** Milliseconds from the (re)start to Odoo answering; null for stop. */
  readyMs: number | null;
}

/**
 * @example await runInstanceAction(core.runtimes, instance, "stop", { confirm: instance.name });
 */
export async function runInstanceAction(
  runtimes: Runtimes,
  instance: InstanceHandle,
  action: RuntimeAction,
  opts: { confirm?: string | null; timeoutMs?: number } = {},
): Promise<RuntimeActionResult> {
  if (action === "stop" && instance.production && opts.confirm !== instance.name)
    throw new AppError("E_CONFIRMATION", `Stopping ${instance.name} takes production offline`, {
      hint: `Type the instance name (${instance.name}) to confirm`,
    });
  const busy = runtimes.marked(instance.id);
  if (busy === "upgrading" || busy === "restoring")
    throw new AppError("E_BUSY", `${instance.name} is ${busy}`, { hint: "Wait until it has finished" });
  const rt = await runtimes.for(instance);
  try {
    if (action === "stop") {
      await rt.stop();
      runtimes.mark(instance.id, "stopped");
      runtimes.mark(instance.id, null);
      return { action, state: "stopped", readyMs: null };
    }
    runtimes.mark(instance.id, "starting", action);
    await (action === "start" ? rt.start() : rt.restart());
    const ready = await rt.waitReady({ timeoutMs: opts.timeoutMs });
    runtimes.mark(instance.id, "running", `ready in ${ready.readyMs} ms`);
    runtimes.mark(instance.id, null);
    return { action, state: "running", readyMs: ready.readyMs };
  } catch (e) {
    runtimes.mark(instance.id, "error", (e as Error).message);
    runtimes.mark(instance.id, null);
    throw e;
  }
}
