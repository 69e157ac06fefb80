import { z } from "zod";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { defineOperation, type OperationContext, type OperationDefinition } from "../sdk/operation.ts";
import { needOn } from "./account-ops.ts";

/**
 * Scheduled jobs as operations: list, add, run now, pause/resume, remove. Operator on the
 * schedule's instance (a global schedule: operator everywhere); an instance the caller cannot see
 * answers as missing.
 */
export function declareJobOperations(core: Core): void {
  const add = <I, O>(op: OperationDefinition<I, O>) => core.catalog.add("core", op as OperationDefinition);
  add(
    defineOperation({
      id: "jobs.list",
      title: "List scheduled jobs",
      description: "Job definitions, schedules (cron, next run, enabled) and the latest runs.",
      input: z.object({}),
      role: "viewer",
      scope: "global",
      danger: "safe",
      tags: ["jobs"],
      async run() {
        return {
          definitions: core.scheduler.definitions().map((d) => ({
            key: d.key,
            description: d.description,
            scope: d.scope,
            defaultCron: d.defaultCron,
          })),
          schedules: await core.scheduler.listSchedules(),
          runs: await core.scheduler.listRuns(50),
        };
      },
    }),
  );
  const schedule = async (ctx: OperationContext, id: number) => {
    const row = (await core.scheduler.listSchedules()).find((s) => s.id === id);
    if (!row) throw new AppError("E_NOT_FOUND", `No schedule ${id}`);
    await needOn(ctx, "operator", row.instance_id, `schedule ${id}`);
    ctx.audit({ target: row.job });
    return row;
  };
  add(
    defineOperation({
      id: "jobs.run",
      title: "Run a scheduled job now",
      description: "Runs the schedule's job once, now, and answers with the run's status and summary.",
      input: z.object({
        schedule: z.number().int().positive(),
        background: z
          .boolean()
          .optional()
          .describe("Answer once the run has started instead of when it ends (the jobs page does)"),
      }),
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["jobs"],
      async run(ctx, input) {
        await schedule(ctx, input.schedule);
        if (!input.background) return core.scheduler.run(input.schedule, "manual");
        // The run is recorded (status, summary) whatever happens; the caller follows it there.
        core.scheduler.run(input.schedule, "manual").catch(() => {});
        return { schedule: input.schedule, started: true };
      },
    }),
  );
  add(
    defineOperation({
      id: "jobs.set-enabled",
      title: "Pause or resume a schedule",
      description: "A paused schedule keeps its settings and runs again once resumed.",
      input: z.object({ schedule: z.number().int().positive(), enabled: z.boolean() }),
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["jobs"],
      async run(ctx, input) {
        await schedule(ctx, input.schedule);
        await core.scheduler.setEnabled(input.schedule, input.enabled);
        return { schedule: input.schedule, enabled: input.enabled };
      },
    }),
  );
  add(
    defineOperation({
      id: "jobs.add",
      title: "Add a job schedule",
      description:
        "Schedules a job (see jobs.list for the keys) on a cron expression, for one instance or globally.",
      input: z.object({
        job: z.string().min(1).describe("The job's key, e.g. backup.nightly"),
        instanceId: z.number().int().positive().nullable().optional().describe("For instance jobs"),
        cron: z.string().describe('Cron expression, e.g. "0 3 * * *"'),
        timezone: z.string().min(1).optional().describe("Default UTC"),
      }),
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["jobs"],
      async run(ctx, input) {
        const instanceId = input.instanceId ?? null;
        // Job keys are public (jobs.list): a wrong one is an input mistake, while a missing
        // instance stays E_NOT_FOUND like an unseen one.
        if (!core.scheduler.definitions().some((d) => d.key === input.job))
          throw new AppError("E_VALIDATION", `No job named ${input.job}`, {
            hint: "See the Jobs page for the jobs plugins offer",
          });
        if (instanceId) await needOn(ctx, "operator", instanceId, `instance ${instanceId}`);
        else if (!(await ctx.can("operator")))
          throw new AppError("E_FORBIDDEN", "A global schedule needs the operator role");
        ctx.audit({ target: input.job, cron: input.cron, timezone: input.timezone ?? "UTC" });
        return core.scheduler.addSchedule({
          job: input.job,
          instanceId,
          cron: input.cron,
          timezone: input.timezone ?? "UTC",
        });
      },
    }),
  );
  add(
    defineOperation({
      id: "jobs.remove",
      title: "Remove a job schedule",
      description: "Stops and forgets a schedule; its past runs stay in the history.",
      input: z.object({ schedule: z.number().int().positive() }),
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["jobs"],
      async run(ctx, input) {
        await schedule(ctx, input.schedule);
        await core.scheduler.removeSchedule(input.schedule);
        return { removed: input.schedule };
      },
    }),
  );
}
