/**
 * The backup plugin's read operations: one backup, restore tests, neutralization reports,
 * rollback copies and uploads. Served on REST, the CLI and MCP like the pages' JSON routes.
 */
import { AppError, defineOperation, type PluginContext, z } from "../../../server/sdk/index.ts";
import { UploadStore } from "../copies/uploads.ts";
import { NeutralizeReportStore } from "../neutralize/neutralize-report-store.ts";
import { rollbacksOf } from "../restore/rollbacks.ts";
import type { RestoreTests } from "../restore-tests/restore-tests.ts";
import type { BackupService } from "../service.ts";
import type { BackupSettings } from "../settings.ts";

const backupId = z.number().int().positive().describe("The backup's id (backup.list shows them)");

export function declareReadOperations(
  ctx: PluginContext<BackupSettings>,
  svc: BackupService,
  tests: RestoreTests,
): void {
  ctx.operations.declare(
    defineOperation({
      id: "backup.get",
      title: "Show a backup",
      description: "One backup: status, size, parts and each destination's copy and verification.",
      input: z.object({ backup: backupId }),
      role: "signed-in",
      scope: "global",
      danger: "safe",
      tags: ["backup"],
      async run(op, input) {
        const b = await svc.store.get(input.backup);
        // Another instance's backup answers as a missing one.
        if (!b || !(await op.can("viewer", b.instanceId)))
          throw new AppError("E_NOT_FOUND", `Backup ${input.backup} does not exist`);
        return { backup: b };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.restore-tests.list",
      title: "List restore tests",
      description: "An instance's restore tests, newest first, and its last verified restore.",
      input: z.object({
        limit: z.number().int().min(1).max(500).optional().describe("At most this many (50)"),
      }),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["backup", "restore"],
      async run(op, input) {
        const id = op.instance!.id;
        return {
          tests: await tests.store.list(id, input.limit ?? 50),
          lastVerifiedRestore: await tests.lastVerifiedRestore(id),
        };
      },
    }),
  );
  const reports = new NeutralizeReportStore(ctx.db);
  ctx.operations.declare(
    defineOperation({
      id: "backup.neutralization",
      title: "Neutralization reports",
      description:
        "What neutralization did to the databases restores and copies published on the instance; with `db`, that database's report.",
      input: z.object({ db: z.string().min(1).optional().describe("One database's report") }),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["backup", "restore"],
      async run(op, input) {
        const inst = op.instance!;
        if (!input.db) return { reports: await reports.list(inst.id) };
        const rec = await reports.get(inst.id, input.db);
        if (!rec)
          throw new AppError(
            "E_NOT_FOUND",
            `No neutralization report for database ${input.db} of ${inst.name}`,
            {
              hint: "A report is kept for each database a neutralized restore or copy published.",
            },
          );
        return { reports: [rec] };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.rollbacks.list",
      title: "List rollback copies",
      description: "The previous databases (and filestores) a restore or copy kept when it swapped.",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["backup", "restore"],
      async run(op) {
        return { rollbacks: (await rollbacksOf(op.instance!)).list };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.uploads.list",
      title: "List uploaded backups",
      description: "Backups uploaded for a restore: the caller's own (an admin sees everyone's).",
      input: z.object({}),
      role: "signed-in",
      scope: "global",
      danger: "safe",
      tags: ["backup", "restore"],
      async run(op) {
        return { uploads: await new UploadStore(ctx.db).visibleTo(op.principal) };
      },
    }),
  );
}
