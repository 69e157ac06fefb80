import type { InstanceHandle, Logger } from "../../../server/sdk/index.ts";
import { advance, isAlerting } from "./state-machine.ts";
import type { HealthStore } from "../store.ts";
import { makeTarget } from "../target.ts";
import { effectiveThresholds, evaluate, type Override } from "./thresholds.ts";
import { CheckTimeout, withTimeout } from "./timeout.ts";
import type { CheckDef, CheckResult, CheckTarget, Status } from "../types.ts";

export interface HealthChanged {
  instanceId: number;
  instanceName: string;
  check: string;
  from: Status | null;
  to: Status;
  recovered: boolean;
  value: number | null;
  message: string;
  at: string;
  /**
   * For the core's notification rules and one-line summaries: "error" when the check turned
   * critical (so an "status error" rule pages on critical only), else the new state.
   */
  status: "error" | Status;
  /** "<instance>: <check label> <state>", e.g. "acme-prod: HTTP critical". */
  title: string;
  summary: string;
}

export interface RunnerOptions {
  store: HealthStore;
  checks: CheckDef[];
  /** Results in a row needed before a state changes. */
  consecutive: number;
  defaultTimeoutMs: number;
  emit(e: HealthChanged): void;
  log?: Logger;
  /** Builds the per-run target; tests may point it elsewhere. */
  target?: (inst: InstanceHandle) => CheckTarget;
}

/** Runs one check with its time limit; never throws. */
export async function runCheck(
  def: CheckDef,
  target: CheckTarget,
  opts: { timeoutMs: number; override?: Override | null; at?: string },
): Promise<CheckResult> {
  const started = performance.now();
  const at = opts.at ?? new Date().toISOString();
  const timeoutMs = def.timeoutMs ?? opts.timeoutMs;
  const base = { instanceId: target.instance.id, check: def.id, at };
  try {
    const m = await withTimeout(timeoutMs, (signal) => def.run(target, signal));
    const status = evaluate(m, effectiveThresholds(def, opts.override, m.thresholds));
    return {
      ...base,
      status,
      value: m.value ?? null,
      message: m.message,
      data: m.data,
      timedOut: false,
      durationMs: performance.now() - started,
    };
  } catch (e) {
    const timedOut = e instanceof CheckTimeout;
    const err = e as { message?: string; hint?: string };
    const message = timedOut
      ? `Timeout: no answer within ${timeoutMs} ms`
      : `${err?.message ?? String(e)}${err?.hint ? ` (${err.hint})` : ""}`;
    const status: Status = timedOut ? (def.onTimeout ?? "unknown") : "unknown";
    return { ...base, status, value: null, message, timedOut, durationMs: performance.now() - started };
  }
}

/** Runs every applicable check of one instance concurrently, stores results, advances states. */
export async function runInstance(opts: RunnerOptions, inst: InstanceHandle): Promise<CheckResult[]> {
  const overrides = await opts.store.overrides(inst.id);
  const target = (opts.target ?? makeTarget)(inst);
  const defs = opts.checks.filter((d) => !overrides.get(d.id)?.disabled && (d.applies?.(inst) ?? true));
  // One time for the whole run: uptime pairs a run's HTTP result with its process count.
  const runAt = new Date().toISOString();
  const results = await Promise.all(
    defs.map((d) =>
      runCheck(d, target, { timeoutMs: opts.defaultTimeoutMs, override: overrides.get(d.id), at: runAt }),
    ),
  );
  await opts.store.saveResults(results);
  const at = new Date().toISOString();
  const silenced = await opts.store.inMaintenance(inst.id, at);
  for (const r of results) {
    const prev = await opts.store.state(inst.id, r.check);
    const advanced = advance(prev, r.status, r.at, opts.consecutive);
    const next = { ...advanced.next, silenced: prev.silenced, silencedFrom: prev.silencedFrom };
    let transition = advanced.transition;
    if (silenced) {
      if (transition && isAlerting(transition)) {
        if (!prev.silenced) Object.assign(next, { silenced: true, silencedFrom: transition.from });
        opts.log?.info("health change silenced by a maintenance window", {
          instance: inst.name,
          check: r.check,
          to: transition.to,
        });
      }
      await opts.store.saveState(inst.id, r.check, next);
      continue;
    }
    if (prev.silenced) {
      // The window is over: announce where things stand now if it differs from what was last told.
      Object.assign(next, { silenced: false, silencedFrom: null });
      const from = prev.silencedFrom ?? null;
      transition = next.state !== null && next.state !== from ? { from, to: next.state } : null;
    }
    await opts.store.saveState(inst.id, r.check, next);
    if (!transition || !isAlerting(transition)) continue;
    const label = defs.find((d) => d.id === r.check)?.label ?? r.check;
    opts.emit({
      status: transition.to === "critical" ? "error" : transition.to,
      title: `${inst.name}: ${label} ${transition.to}${transition.to === "ok" ? " (recovered)" : ""}`,
      summary: r.message,
      instanceId: inst.id,
      instanceName: inst.name,
      check: r.check,
      from: transition.from,
      to: transition.to,
      recovered: transition.to === "ok",
      value: r.value,
      message: r.message,
      at: r.at,
    });
  }
  return results;
}

/** All instances at once: a dead server only delays its own results. */
export async function runAll(
  opts: RunnerOptions,
  instances: InstanceHandle[],
): Promise<Map<number, CheckResult[]>> {
  const out = new Map<number, CheckResult[]>();
  await Promise.all(
    instances.map(async (inst) => {
      try {
        out.set(inst.id, await runInstance(opts, inst));
      } catch (e) {
        opts.log?.error("health run failed", {
          instance: inst.name,
          error: String((e as Error)?.message ?? e),
        });
      }
    }),
  );
  return out;
}
