/**
 * The backup plugin's operations that change something: verify a backup, prune by retention,
 * delete an upload, schedule backups. Dropping a rollback copy is the database plugin's `database.drop-rollback`
 * (one operation, not two that could drift apart). The pages' routes call the same functions.
 */
import { AppError, defineOperation, type PluginContext, z } from "../../../server/sdk/index.ts";
import { deleteUpload, ownUpload, UploadStore } from "../copies/uploads.ts";
import { DEFAULT_BACKUP_CRON } from "../create/default-schedule.ts";
import { prune } from "../create/jobs.ts";
import type { BackupService } from "../service.ts";
import type { BackupSettings } from "../settings.ts";

export function declareChangeOperations(ctx: PluginContext<BackupSettings>, svc: BackupService): void {
  ctx.operations.declare(
    defineOperation({
      id: "backup.verify",
      title: "Verify a backup",
      description: "Re-reads every copy of a finished backup and compares each part's size and SHA-256.",
      input: z.object({ backup: z.number().int().positive().describe("The backup's id") }),
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      longRunning: true,
      tags: ["backup"],
      async run(op, input) {
        const b = await svc.store.get(input.backup);
        // Another instance's backup answers as a missing one; the owner's operator may verify.
        if (!b || !(await op.can("viewer", b.instanceId)))
          throw new AppError("E_NOT_FOUND", `Backup ${input.backup} does not exist`);
        if (!(await op.can("operator", b.instanceId)))
          throw new AppError("E_FORBIDDEN", "Verifying a backup needs the operator role on its instance");
        const r = await svc.verify(b.id, op.actor);
        op.audit({ target: b.name, instanceId: b.instanceId, operationId: r.operationId });
        return r;
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.prune",
      title: "Prune backups by retention",
      description:
        "Deletes the backups the retention policy (keep daily/weekly/monthly) no longer keeps, at each destination where the newest verified backup is confirmed.",
      input: z.object({}),
      role: "operator",
      scope: "instance",
      lock: "instance",
      danger: "destructive",
      tags: ["backup"],
      async run(op) {
        const inst = op.instance!;
        const fresh = await svc.lastVerified(inst.id);
        // Pruning without a verified backup to keep could leave the instance with nothing good.
        if (!fresh)
          throw new AppError("E_VALIDATION", `${inst.name} has no verified backup: nothing is pruned`, {
            hint: "Verify a backup first (backup.verify)",
          });
        const log: string[] = [];
        const pruned = await prune(ctx, svc, fresh, (l) => log.push(l));
        op.audit({ target: inst.name, pruned });
        return { pruned, log };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.uploads.delete",
      title: "Delete an uploaded backup",
      description: "Deletes a file uploaded for a restore: the caller's own (an admin: anyone's).",
      input: z.object({ upload: z.number().int().positive().describe("The upload's id") }),
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["backup", "restore"],
      async run(op, input) {
        const store = new UploadStore(ctx.db);
        const u = await ownUpload(store, op.principal, input.upload, () => op.can("admin"));
        await deleteUpload(store, u);
        op.audit({ target: u.path, instanceId: u.instanceId, uploadId: u.id });
        return { deleted: u.id, instanceId: u.instanceId };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.schedule.set",
      title: "Schedule backups",
      description:
        "Turns on the instance's scheduled backup: full, native, pruned by the retention settings, daily at 02:00 UTC unless a cron is given. Without a cron an existing schedule is kept as it is; with one its times are replaced.",
      input: z.object({
        cron: z
          .string()
          .min(1)
          .optional()
          .describe('Cron expression, e.g. "0 2 * * *" (default, daily 02:00)'),
        timezone: z.string().min(1).optional().describe("IANA time zone of the cron (default UTC)"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["backup"],
      async run(op, input) {
        const inst = op.instance!;
        const old = await ctx.jobs.schedules({ job: "backup.scheduled", instanceId: inst.id });
        if (old[0] && !input.cron) {
          op.audit({ target: inst.name, unchanged: true });
          return { schedule: old[0], created: false };
        }
        const cron = input.cron?.trim() || DEFAULT_BACKUP_CRON;
        const timezone = input.timezone?.trim() || "UTC";
        op.audit({ target: inst.name, cron, timezone });
        const schedule = await ctx.jobs.schedule({
          job: "backup.scheduled",
          instanceId: inst.id,
          cron,
          timezone,
          params: old[0]?.params ?? { scope: "full", format: "native", prune: true },
        });
        for (const o of old) await ctx.jobs.unschedule(o.id);
        return { schedule, created: true };
      },
    }),
  );
}
