import type { InstanceHandle, PluginContext } from "../../../server/sdk/index.ts";
import { backupChecks, backupStatusService } from "../checks/backup.ts";
import { ErrorSignatures, errorsCheck } from "../checks/errors.ts";
import { httpCheck } from "../checks/http.ts";
import {
  cronCheck,
  lockWaitsCheck,
  mailExceptionsCheck,
  mailQueueCheck,
  queriesCheck,
} from "../checks/odoo-db.ts";
import { containerCheck } from "../checks/container.ts";
import { odooCpuCheck, odooMemoryCheck, processesCheck } from "../checks/processes.ts";
import { diskCheck, inodesCheck, loadCheck, memoryCheck, serviceCheck } from "../checks/server.ts";
import { tlsCheck } from "../checks/tls.ts";
import { websocketCheck } from "../checks/websocket.ts";
import { workerRestartsCheck } from "../checks/workers.ts";
import { type HealthChanged, type RunnerOptions, runAll, runInstance } from "./runner.ts";
import type { HealthSettings } from "../settings.ts";
import { type ShownState, shownState } from "../shown-state.ts";
import { HealthStore, type MaintenanceWindow } from "../store.ts";
import { type CheckDef, type CheckResult, type Status, SEVERITY, worst } from "../types.ts";
import { uptime } from "../metrics/uptime.ts";

export interface InstanceSummary {
  id: number;
  name: string;
  production: boolean;
  status: Status;
  maintenance: MaintenanceWindow | null;
  uptime: Record<string, number | null>;
  checks: Array<
    CheckResult & { state: Status | null; since: string | null; label: string; shown: ShownState }
  >;
}

/** Ties checks, store, scheduling and alerts together for one plugin context. */
export class HealthMonitor {
  readonly store: HealthStore;
  readonly signatures = new ErrorSignatures();
  readonly checks: CheckDef[];
  readonly startedAt = Date.now();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<unknown> | null = null;
  #lastPrune = 0;

  constructor(readonly ctx: PluginContext<HealthSettings>) {
    this.store = new HealthStore(ctx.db);
    this.checks = [
      httpCheck,
      tlsCheck,
      websocketCheck,
      serviceCheck,
      containerCheck,
      processesCheck,
      odooMemoryCheck,
      odooCpuCheck,
      workerRestartsCheck,
      diskCheck,
      inodesCheck,
      loadCheck,
      memoryCheck,
      cronCheck,
      mailQueueCheck(() => this.#mailStuck),
      mailExceptionsCheck,
      queriesCheck,
      lockWaitsCheck,
      errorsCheck(this.signatures),
      ...backupChecks(() => ctx.services.get(backupStatusService)),
    ];
  }

  #mailStuck = 30;

  label(check: string): string {
    return this.checks.find((c) => c.id === check)?.label ?? check;
  }

  async options(): Promise<RunnerOptions> {
    const s = await this.ctx.settings();
    this.#mailStuck = s.mail_stuck_minutes;
    return {
      store: this.store,
      checks: this.checks,
      consecutive: s.consecutive,
      defaultTimeoutMs: s.check_timeout_ms,
      log: this.ctx.log,
      emit: (e: HealthChanged) => this.ctx.events.emit("health.changed", e),
    };
  }

  async checkInstance(inst: InstanceHandle): Promise<CheckResult[]> {
    return runInstance(await this.options(), inst);
  }

  /** One pass over every instance, then pruning at most once an hour. */
  async checkAll(): Promise<Map<number, CheckResult[]>> {
    const out = await runAll(await this.options(), await this.ctx.instances.list());
    if (Date.now() - this.#lastPrune > 3_600_000) {
      this.#lastPrune = Date.now();
      const days = (await this.ctx.settings()).retention_days;
      await this.store.prune(new Date(Date.now() - days * 86_400_000).toISOString());
    }
    return out;
  }

  /** Background loop; a pass never overlaps the previous one. */
  startLoop(intervalMs: number): void {
    this.stopLoop();
    if (!(intervalMs > 0)) return;
    const tick = async () => {
      this.#running = this.checkAll().catch((e) =>
        this.ctx.log.error("health pass failed", { error: String(e) }),
      );
      await this.#running;
      this.#running = null;
      if (this.#timer) this.#timer = setTimeout(tick, intervalMs);
    };
    this.#timer = setTimeout(tick, Math.min(intervalMs, 5_000));
  }

  async stopLoop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // Shutdown must not hang on a pass that is waiting for slow servers: they time out on their own.
    await Promise.race([this.#running, Bun.sleep(2_000)]);
  }

  async summary(inst: InstanceHandle): Promise<InstanceSummary> {
    const [latest, states, maintenance, up, settings] = await Promise.all([
      this.store.latest(inst.id),
      this.store.states(inst.id),
      this.store.inMaintenance(inst.id, new Date().toISOString()),
      uptime(this.store, inst.id),
      this.ctx.settings(),
    ]);
    const st = new Map(states.map((s) => [s.check, s]));
    const checks = latest
      .map((r) => ({
        ...r,
        state: st.get(r.check)?.state ?? null,
        since: st.get(r.check)?.since ?? null,
        label: this.label(r.check),
        shown: shownState(st.get(r.check) ?? null, r, settings.consecutive),
      }))
      .sort((a, b) => SEVERITY[b.shown.status] - SEVERITY[a.shown.status] || a.check.localeCompare(b.check));
    const status = checks.length ? worst(checks.map((c) => c.shown.status)) : "unknown";
    return {
      id: inst.id,
      name: inst.name,
      production: inst.production,
      status,
      maintenance,
      uptime: up,
      checks,
    };
  }

  /** Every instance, the worst first. */
  async summaries(): Promise<InstanceSummary[]> {
    const all = await Promise.all((await this.ctx.instances.list()).map((i) => this.summary(i)));
    return all.sort((a, b) => SEVERITY[b.status] - SEVERITY[a.status] || a.name.localeCompare(b.name));
  }
}

// One monitor per plugin context (the server and the CLI each get their own).
const monitors = new WeakMap<object, HealthMonitor>();

/** The monitor of a plugin context (created on first use). */
export function monitorOf(ctx: PluginContext<HealthSettings>): HealthMonitor {
  let m = monitors.get(ctx);
  if (!m) {
    m = new HealthMonitor(ctx);
    monitors.set(ctx, m);
  }
  return m;
}
