import { Cron } from "croner";
import { AppError, toAppError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { OWNER, ownerAlive } from "../process-owner.ts";
import type { EventBus, JobDefinition, JobSchedule, JobsApi } from "../sdk/types.ts";
import type { CoreDb } from "../db/schema.ts";

const log = createLogger("scheduler");

export interface ScheduleRow {
  id: number;
  job: string;
  instance_id: number | null;
  cron: string;
  timezone: string;
  params: string;
  enabled: number;
  created_at: string;
  last_run_at: string | null;
}

/** Validates a cron expression and time zone; returns the next few runs for the preview. */
export function previewCron(expr: string, timezone = "UTC", count = 3): Date[] {
  try {
    return new Cron(expr, { timezone, paused: true }).nextRuns(count);
  } catch (e) {
    throw new AppError("E_VALIDATION", `Invalid schedule "${expr}" (${timezone}): ${(e as Error).message}`, {
      hint: "Five fields: minute hour day-of-month month day-of-week, e.g. 0 2 * * * for every day at 02:00",
    });
  }
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
/** "every day at 02:00" for the common shapes; the expression itself otherwise. */
export function describeCron(expr: string): string {
  const f = expr.trim().split(/\s+/);
  if (f.length !== 5) return expr;
  const [mi, h, dom, mon, dow] = f;
  const num = (s: string) => /^\d+$/.test(s);
  const at = num(mi) && num(h) ? `${h.padStart(2, "0")}:${mi.padStart(2, "0")}` : null;
  if (at && dom === "*" && mon === "*" && dow === "*") return `every day at ${at}`;
  if (at && dom === "*" && mon === "*" && num(dow)) return `every ${DAYS[Number(dow) % 7]} at ${at}`;
  if (at && num(dom) && mon === "*" && dow === "*") return `on day ${dom} of every month at ${at}`;
  if (num(mi) && h === "*" && dom === "*" && mon === "*" && dow === "*")
    return `every hour at :${mi.padStart(2, "0")}`;
  const step = /^\*\/(\d+)$/.exec(mi);
  if (step && h === "*" && dom === "*" && mon === "*" && dow === "*") return `every ${step[1]} minutes`;
  return expr;
}

/**
 * Runs plugin jobs on users' cron schedules. Overlapping runs of one schedule are skipped and
 * recorded; a run missed while odoodeck was down runs once at start; runs left `running` by a
 * crash are marked `interrupted`.
 */
export class Scheduler {
  #defs = new Map<string, JobDefinition & { plugin: string }>();
  #crons = new Map<number, Cron>();
  #running = new Map<number | string, AbortController>();
  #started = false;

  constructor(
    private readonly db: CoreDb,
    private readonly bus: EventBus,
  ) {}

  define(plugin: string, name: string, def: JobDefinition): void {
    const key = `${plugin}.${name}`;
    if (this.#defs.has(key)) throw new AppError("E_CONFLICT", `Job ${key} is defined twice`);
    this.#defs.set(key, { ...def, plugin });
  }

  /** What a plugin's `ctx.jobs` is: its own jobs and their schedules, nothing of other plugins. */
  forPlugin(plugin: string): JobsApi {
    const prefix = `${plugin}.`;
    const view = (r: ScheduleRow & { description: string; next: string | null }): JobSchedule => ({
      id: r.id,
      job: r.job.slice(prefix.length),
      instanceId: r.instance_id,
      cron: r.cron,
      timezone: r.timezone,
      params: JSON.parse(r.params || "{}"),
      enabled: !!r.enabled,
      description: r.description,
      next: r.next,
      lastRunAt: r.last_run_at,
    });
    const mine = async () => (await this.listSchedules()).filter((r) => r.job.startsWith(prefix));
    return {
      define: (name, def) => this.define(plugin, name, def),
      schedules: async (filter = {}) =>
        (await mine())
          .filter((r) => filter.job === undefined || r.job === prefix + filter.job)
          .filter((r) => filter.instanceId === undefined || r.instance_id === filter.instanceId)
          .map(view),
      schedule: async (input) => {
        const row = await this.addSchedule({
          ...input,
          job: prefix + input.job,
          instanceId: input.instanceId ?? null,
        });
        return view((await mine()).find((r) => r.id === row.id)!);
      },
      unschedule: async (id) => {
        if (!(await mine()).some((r) => r.id === id))
          throw new AppError("E_NOT_FOUND", `No schedule ${id} of ${plugin}'s jobs`);
        await this.removeSchedule(id);
      },
    };
  }

  definitions(): Array<{ key: string } & JobDefinition & { plugin: string }> {
    return [...this.#defs.entries()].map(([key, d]) => ({ key, ...d }));
  }

  async start(opts: { catchUp?: boolean } = {}): Promise<void> {
    // Runs whose process is gone; a live sibling's (the server's, seen from a CLI command) go on.
    const running = await this.db
      .selectFrom("job_runs")
      .select(["id", "owner"])
      .where("status", "=", "running")
      .execute();
    const gone = running.filter((r) => !ownerAlive(r.owner)).map((r) => r.id);
    if (gone.length)
      await this.db
        .updateTable("job_runs")
        .set({ status: "interrupted", finished_at: new Date().toISOString() })
        .where("id", "in", gone)
        .execute();
    this.#started = true;
    const rows = await this.db.selectFrom("job_schedules").selectAll().where("enabled", "=", 1).execute();
    for (const row of rows) {
      this.#arm(row);
      if (opts.catchUp !== false && row.last_run_at && this.#defs.has(row.job)) {
        const next = new Cron(row.cron, { timezone: row.timezone, paused: true }).nextRun(
          new Date(row.last_run_at),
        );
        if (next && next.getTime() < Date.now()) void this.run(row.id, "catch-up");
      }
    }
  }

  stop(): void {
    for (const c of this.#crons.values()) c.stop();
    this.#crons.clear();
    for (const a of this.#running.values()) a.abort();
    this.#started = false;
  }

  #arm(row: ScheduleRow) {
    this.#crons.get(row.id)?.stop();
    if (!row.enabled || !this.#started) return;
    try {
      this.#crons.set(
        row.id,
        new Cron(row.cron, { timezone: row.timezone }, () => void this.run(row.id, "schedule")),
      );
    } catch (e) {
      log.error(`schedule ${row.id} has an invalid expression`, { error: String(e) });
    }
  }

  async addSchedule(input: {
    job: string;
    instanceId: number | null;
    cron: string;
    timezone?: string;
    params?: Record<string, unknown>;
  }): Promise<ScheduleRow> {
    const def = this.#defs.get(input.job);
    if (!def)
      throw new AppError("E_NOT_FOUND", `No job named ${input.job}`, {
        hint: "See the Jobs page for the jobs plugins offer",
      });
    if (def.scope === "instance" && input.instanceId == null)
      throw new AppError("E_VALIDATION", `${input.job} runs per instance: pick one`);
    const timezone = input.timezone || "UTC";
    previewCron(input.cron, timezone, 1);
    const row = await this.db
      .insertInto("job_schedules")
      .values({
        job: input.job,
        instance_id: input.instanceId,
        cron: input.cron.trim(),
        timezone,
        params: JSON.stringify(input.params ?? {}),
        enabled: 1,
        created_at: new Date().toISOString(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    this.#arm(row);
    return row;
  }

  async setEnabled(id: number, enabled: boolean): Promise<void> {
    await this.db
      .updateTable("job_schedules")
      .set({ enabled: enabled ? 1 : 0 })
      .where("id", "=", id)
      .execute();
    const row = await this.db.selectFrom("job_schedules").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw new AppError("E_NOT_FOUND", `No schedule ${id}`);
    if (enabled) this.#arm(row);
    else this.#crons.get(id)?.stop();
  }

  async removeSchedule(id: number): Promise<void> {
    this.#crons.get(id)?.stop();
    this.#crons.delete(id);
    await this.db.deleteFrom("job_schedules").where("id", "=", id).execute();
  }

  async listSchedules(): Promise<Array<ScheduleRow & { description: string; next: string | null }>> {
    const rows = await this.db.selectFrom("job_schedules").selectAll().orderBy("id").execute();
    return rows.map((r) => {
      let next: string | null = null;
      try {
        next = r.enabled
          ? (new Cron(r.cron, { timezone: r.timezone, paused: true }).nextRun()?.toISOString() ?? null)
          : null;
      } catch {}
      return { ...r, description: describeCron(r.cron), next };
    });
  }

  async listRuns(limit = 100) {
    return this.db.selectFrom("job_runs").selectAll().orderBy("id", "desc").limit(limit).execute();
  }

  /** Runs a schedule now (or a job ad hoc with `adhoc`). Resolves with the run's status. */
  async run(
    scheduleId: number | null,
    trigger: "schedule" | "manual" | "catch-up",
    adhoc?: { job: string; instanceId: number | null; params?: Record<string, unknown> },
  ): Promise<{ runId: number; status: string; summary: string }> {
    let job: string;
    let instanceId: number | null;
    let params: Record<string, unknown>;
    if (scheduleId != null) {
      const row = await this.db
        .selectFrom("job_schedules")
        .selectAll()
        .where("id", "=", scheduleId)
        .executeTakeFirst();
      if (!row) throw new AppError("E_NOT_FOUND", `No schedule ${scheduleId}`);
      [job, instanceId, params] = [row.job, row.instance_id, JSON.parse(row.params)];
    } else if (adhoc) [job, instanceId, params] = [adhoc.job, adhoc.instanceId, adhoc.params ?? {}];
    else throw new AppError("E_VALIDATION", "Nothing to run");
    const def = this.#defs.get(job);
    const key = scheduleId ?? `${job}:${instanceId}`;
    const started = new Date().toISOString();
    const insert = async (status: string, summary: string | null) =>
      Number(
        (
          await this.db
            .insertInto("job_runs")
            .values({
              schedule_id: scheduleId,
              job,
              instance_id: instanceId,
              trigger,
              status,
              started_at: started,
              finished_at: status === "running" ? null : started,
              summary,
              owner: OWNER,
            })
            .returning("id")
            .executeTakeFirstOrThrow()
        ).id,
      );
    if (!def) {
      const summary = `job ${job} is not available (its plugin is disabled)`;
      return { runId: await insert("error", summary), status: "error", summary };
    }
    if (this.#running.has(key)) {
      const summary = "skipped: the previous run is still going";
      const runId = await insert("skipped", summary);
      this.bus.emit("job.finished", { jobId: job, instanceId, status: "skipped", summary });
      return { runId, status: "skipped", summary };
    }
    const abort = new AbortController();
    this.#running.set(key, abort);
    const runId = await insert("running", null);
    if (scheduleId != null)
      await this.db
        .updateTable("job_schedules")
        .set({ last_run_at: started })
        .where("id", "=", scheduleId)
        .execute();
    const lines: string[] = [];
    let status: "ok" | "error" = "ok";
    let summary = "";
    try {
      summary =
        (await def.handler({ instanceId, params, signal: abort.signal, log: (l) => lines.push(l) })) ||
        "done";
    } catch (e) {
      const err = toAppError(e);
      status = "error";
      summary = `${err.code}: ${err.message}`;
    } finally {
      this.#running.delete(key);
    }
    await this.db
      .updateTable("job_runs")
      .set({ status, summary, finished_at: new Date().toISOString(), log: lines.slice(-2000).join("\n") })
      .where("id", "=", runId)
      .execute();
    this.bus.emit("job.finished", { jobId: job, instanceId, status, summary });
    return { runId, status, summary };
  }
}
