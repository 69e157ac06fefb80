/**
 * Restore and copy as operations: one declaration each, served on the restore page, REST
 * (`/api/v1/ops/backup.restore`, and the older `/api/v1/backup/i/:instance/restore`), the CLI and
 * MCP by the core's executor. The executor resolves the target instance (one the caller may not
 * see is E_NOT_FOUND), checks the operator role there, and applies the production rule (admin, the
 * instance's name typed in `confirm`) only when the call replaces the instance's database. What
 * is read is checked here through access.ts: another instance's backup or upload answers exactly
 * as a missing one, and a path must lie inside the upload or backup folder.
 */
import {
  AppError,
  defineOperation,
  findInstance,
  type OperationContext,
  type PluginContext,
  z,
} from "../../../server/sdk/index.ts";
import { startCopyOperation } from "../restore/copy-start.ts";
import { checkNewDbName, neutralizeChoice, restoreSource, targetSide } from "../restore/restore-request.ts";
import { auditOutcome, startRestoreOperation } from "../restore/restore-start.ts";

const newDb = z
  .string()
  .min(1)
  .optional()
  .describe(
    "Make a new database with this name on the instance's cluster; without it the instance's database is replaced (the old one is kept as a rollback copy)",
  );
const neutralize = z
  .enum(["on", "off"])
  .optional()
  .describe("Neutralize the copy (mail, crons, credentials). Default on; off when replacing production");
const mode = z
  .enum(["copy", "move"])
  .optional()
  .describe("copy: a distinct database (new uuid and secret, default); move: keep them");

/** Replacing an instance's database loses today's data unless rolled back: refused to tokens that may not destroy. */
function mayReplace(op: OperationContext): void {
  if (op.principal.allowDestructive === false)
    throw new AppError("E_FORBIDDEN", "This API token may not replace a database", {
      hint: "Restore into a new database (newDb), or use a token allowed destructive operations",
    });
}

/** Answers once the operation holds the instance lock; a conflict reaches the caller as E_BUSY. */
async function started(ctx: PluginContext<any>, op: { id: string; started: Promise<void> }) {
  await op.started;
  return { operationId: op.id, status: ctx.operations.get(op.id)?.status ?? "running" };
}

export function declareRestoreOperations(ctx: PluginContext<any>): void {
  ctx.operations.declare(
    defineOperation({
      id: "backup.restore",
      title: "Restore a backup",
      description:
        "Restores a backup (by id), an upload (by id) or a file in the upload/backup folder into a temporary database, checks and neutralizes it, then swaps it into the instance (its database kept as a rollback copy) or publishes it as a new database.",
      input: z.object({
        backup: z.number().int().positive().optional().describe("The backup's id (backup.list)"),
        upload: z.number().int().positive().optional().describe("An upload's id (backup.uploads.list)"),
        source: z
          .string()
          .min(1)
          .optional()
          .describe("A path on the odoodeck machine, inside the upload or local backup folder"),
        newDb,
        neutralize,
        mode,
      }),
      role: "operator",
      scope: "instance",
      lock: "instance",
      danger: "mutating",
      guardProduction: (input) => !input.newDb,
      longRunning: true,
      tags: ["backup", "restore"],
      async run(op, input) {
        const inst = op.instance!;
        if (!input.newDb) mayReplace(op);
        const db = input.newDb ? checkNewDbName(input.newDb) : null;
        const source = await restoreSource(ctx, op.principal, input, op.actor);
        const t = await targetSide(inst);
        const neutral = neutralizeChoice(input, t, !db);
        const { op: run, dbName } = startRestoreOperation(ctx, {
          t,
          source,
          newDb: db,
          neutralize: neutral,
          actor: op.actor,
        });
        const details = {
          database: dbName,
          neutralize: !!neutral,
          backupId: input.backup,
          uploadId: input.upload,
        };
        const answer = await started(ctx, run);
        op.audit({ target: source, operationId: run.id, ...details });
        auditOutcome(ctx, {
          actor: op.actor,
          instanceId: inst.id,
          action: "backup.restore",
          target: source,
          done: run.done,
          details,
        });
        return { ...answer, dbName, done: run.done };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "backup.copy",
      title: "Copy an instance",
      description:
        "Copies the database and filestore of `from` into the instance (swapped in, its database kept as a rollback copy) or into a new database on the instance's cluster, neutralized unless told not to.",
      input: z.object({
        from: z
          .union([z.number().int().positive(), z.string().min(1)])
          .optional()
          .describe("The instance copied (id or name); default the instance itself, with newDb"),
        newDb,
        neutralize,
        mode,
      }),
      role: "operator",
      scope: "instance",
      lock: "instance",
      danger: "mutating",
      guardProduction: (input) => !input.newDb,
      longRunning: true,
      tags: ["backup", "restore"],
      async run(op, input) {
        const toInst = op.instance!;
        // The source is read: operator there too; one the caller may not see answers as missing.
        const src = input.from === undefined ? toInst : await findInstance(ctx, op.principal, input.from);
        if (!(await op.can("operator", src.id)))
          throw new AppError("E_FORBIDDEN", `Copying ${src.name} needs the operator role on it`);
        if (!input.newDb && src.id === toInst.id)
          throw new AppError("E_VALIDATION", "Copying an instance onto itself", {
            hint: "Give newDb to copy it into a new database, or from: another instance",
          });
        if (!input.newDb) mayReplace(op);
        const db = input.newDb ? checkNewDbName(input.newDb) : null;
        const [from, to] = [await targetSide(src), await targetSide(toInst)];
        const neutral = neutralizeChoice(input, to, !db);
        const { op: run, dbName } = startCopyOperation(ctx, {
          src,
          from,
          to,
          newDb: db,
          neutralize: neutral,
          actor: op.actor,
        });
        const details = { from: src.name, database: dbName, neutralize: !!neutral };
        const answer = await started(ctx, run);
        op.audit({ target: src.name, operationId: run.id, ...details });
        auditOutcome(ctx, {
          actor: op.actor,
          instanceId: toInst.id,
          action: "backup.copy",
          target: src.name,
          done: run.done,
          details,
        });
        return { ...answer, dbName, done: run.done };
      },
    }),
  );
}
