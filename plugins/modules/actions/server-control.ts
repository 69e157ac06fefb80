/**
 * Around a module action the running Odoo is stopped, so `odoo-bin -u … --stop-after-init` is
 * alone on the database (live cron workers fight over ir_module_module locks), then started again
 * so the new code is loaded. Without a unit, container or managed process odoodeck cannot stop it:
 * the action goes on as before, with a warning step saying so.
 */
import {
  AppError,
  type InstanceHandle,
  isAppError,
  type Runtime,
  type StepApi,
} from "../../../server/sdk/index.ts";
import type { ModulesCtx } from "../settings.ts";

export const NO_RUNTIME_WARNING = "the server keeps running: its crons may hold locks";

export type ServerPlan = { runtime: Runtime; wasRunning: boolean } | { runtime: null; why: string };

/** Which server the action stops and starts, and whether it was running before. */
export async function planServer(ctx: ModulesCtx, inst: InstanceHandle): Promise<ServerPlan> {
  let runtime: Runtime;
  try {
    runtime = await ctx.runtimes.for(inst);
  } catch (e) {
    if (isAppError(e) && e.code === "E_NO_RUNTIME") return { runtime: null, why: e.message };
    throw e;
  }
  const s = await runtime.status();
  return { runtime, wasRunning: s.state === "running" || s.state === "starting" };
}

/** The warning step of an instance odoodeck cannot stop. */
export async function warnServerKeepsRunning(s: StepApi, why: string): Promise<{ warning: string }> {
  s.log(`warning: ${NO_RUNTIME_WARNING} (${why})`);
  return { warning: NO_RUNTIME_WARNING };
}

export async function stopServer(
  s: StepApi,
  rt: Runtime,
  wasRunning: boolean,
): Promise<{ stopped: boolean }> {
  if (!wasRunning) {
    s.log(`${rt.label} was not running: nothing to stop`);
    return { stopped: false };
  }
  s.log(`stopping ${rt.label}`);
  await rt.stop();
  return { stopped: true };
}

/** Starts the server and waits until it answers; the time is when the new run began (for the log check). */
export async function startServer(s: StepApi, rt: Runtime): Promise<{ since: string; readyMs: number }> {
  const since = new Date().toISOString();
  s.log(`starting ${rt.label}`);
  await rt.start();
  const ready = await rt.waitReady({ signal: s.signal }).catch((e) => {
    throw isAppError(e)
      ? new AppError(e.code, `${rt.label} did not come back after the action: ${e.message}`, { hint: e.hint })
      : e;
  });
  s.log(`ready in ${ready.readyMs} ms (${ready.via})`);
  return { since, readyMs: ready.readyMs };
}
