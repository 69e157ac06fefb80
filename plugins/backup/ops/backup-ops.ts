/**
 * The backup plugin's operations: declared once, served on REST, the CLI and MCP by the core's
 * executor (role, instance, input, audit). They call the same service as the pages.
 * `backup key-export` stays a CLI command only: it writes the private age key to a file on the
 * odoodeck machine, which must never travel over REST or MCP (a token would be the key).
 */
import { defineOperation, type PluginContext, z } from "../../../server/sdk/index.ts";
import { declareChangeOperations } from "./change-ops.ts";
import { declareRestoreOperations } from "./restore-ops.ts";
import { checkTarget, declareRestoreTestOperations } from "./restore-test-ops.ts";
import { declareReadOperations } from "./read-ops.ts";
import type { RestoreTests } from "../restore-tests/restore-tests.ts";
import type { BackupService } from "../service.ts";
import type { BackupSettings } from "../settings.ts";

export function declareBackupOperations(
  ctx: PluginContext<BackupSettings>,
  svc: BackupService,
  tests: RestoreTests,
): void {
  ctx.operations.declare(
    defineOperation({
      id: "backup.list",
      title: "List backups",
      description: "An instance's backups, newest first, with status, size and verification.",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["backup"],
      async run(op) {
        return { backups: await svc.store.list(op.instance!.id) };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.create",
      title: "Back up an instance",
      description:
        "Takes a backup now (database and/or filestore) to the given destinations or the default ones.",
      input: z.object({
        scope: z.enum(["full", "db", "files"]).optional().describe("What to back up (default full)"),
        format: z.enum(["native", "zip"]).optional().describe("native (.odoodeck) or Odoo's zip"),
        destinations: z
          .array(z.string().min(1))
          .optional()
          .describe("Destination ids, e.g. local, s3, server:<id> (default: the plugin's setting)"),
      }),
      role: "operator",
      scope: "instance",
      lock: "instance",
      danger: "mutating",
      longRunning: true,
      tags: ["backup"],
      async run(op, input) {
        const r = await svc.create(op.instance!.id, input, op.actor);
        op.audit({ target: r.name, operationId: r.operationId });
        return { operationId: r.operationId, backupId: r.backupId, name: r.name, done: r.done };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.restore-test",
      title: "Run a restore test",
      description:
        "Restores the newest backup into a scratch database (on `target`'s cluster, default the instance's own), checks it and drops it.",
      input: z.object({
        target: z
          .number()
          .int()
          .positive()
          .optional()
          .describe("Instance id whose cluster gets the scratch copy"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      longRunning: true,
      tags: ["backup", "restore"],
      async run(op, input) {
        const id = op.instance!.id;
        const target = input.target ?? id;
        await checkTarget(op, target);
        const r = await tests.start({ instanceId: id, targetId: target, actor: op.actor, trigger: "manual" });
        op.audit({ testId: r.testId, operationId: r.operationId });
        return { operationId: r.operationId, testId: r.testId, done: r.done };
      },
    }),
  );
  declareReadOperations(ctx, svc, tests);
  declareChangeOperations(ctx, svc);
  declareRestoreOperations(ctx);
  declareRestoreTestOperations(ctx);
}
