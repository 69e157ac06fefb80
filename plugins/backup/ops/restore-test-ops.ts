/**
 * The restore-test schedule as operations (the restore-tests page's form, REST, CLI, MCP): one
 * `backup.restore-test` schedule per instance, on the instance's own cluster or a target's. The
 * scratch database lands on the target's cluster: operator there too (unseen: E_NOT_FOUND).
 */
import {
  AppError,
  defineOperation,
  type OperationContext,
  type PluginContext,
  z,
} from "../../../server/sdk/index.ts";

const JOB = "restore-test";

/** The target's cluster is written to: operator there too; one the caller may not see is missing. */
export async function checkTarget(op: OperationContext, target: number): Promise<void> {
  if (target === op.instance!.id) return;
  if (!(await op.can("viewer", target))) throw new AppError("E_NOT_FOUND", `No instance with id ${target}`);
  if (!(await op.can("operator", target)))
    throw new AppError("E_FORBIDDEN", "This needs the operator role on the target instance");
}

export function declareRestoreTestOperations(ctx: PluginContext<any>): void {
  ctx.operations.declare(
    defineOperation({
      id: "backup.restore-test.schedule",
      title: "Schedule restore tests",
      description:
        "Sets the instance's restore-test schedule (it replaces the one there was): a cron expression, its time zone, and the instance whose cluster gets the scratch copy.",
      input: z.object({
        cron: z.string().min(1).describe('Cron expression, e.g. "15 4 * * 0" (Sundays 04:15)'),
        timezone: z.string().min(1).optional().describe("IANA time zone of the cron (default UTC)"),
        target: z
          .number()
          .int()
          .positive()
          .optional()
          .describe("Instance id whose cluster gets the scratch copy (default the instance's own)"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["backup", "restore"],
      async run(op, input) {
        const inst = op.instance!;
        const target = input.target ?? inst.id;
        const cron = input.cron.trim();
        const timezone = input.timezone?.trim() || "UTC";
        op.audit({ target: inst.name, cron, timezone, targetInstanceId: target });
        await checkTarget(op, target);
        const old = await ctx.jobs.schedules({ job: JOB, instanceId: inst.id });
        const schedule = await ctx.jobs.schedule({
          job: JOB,
          instanceId: inst.id,
          cron,
          timezone,
          params: { target },
        });
        for (const o of old) await ctx.jobs.unschedule(o.id);
        return { schedule };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.restore-test.unschedule",
      title: "Remove the restore-test schedule",
      description: "Removes the instance's restore-test schedule; restore tests can still be run by hand.",
      input: z.object({}),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["backup", "restore"],
      async run(op) {
        const inst = op.instance!;
        const old = await ctx.jobs.schedules({ job: JOB, instanceId: inst.id });
        for (const o of old) await ctx.jobs.unschedule(o.id);
        op.audit({ target: inst.name, removed: old.map((o) => o.cron) });
        return { removed: old.length };
      },
    }),
  );
}
