/**
 * The "backup.api" service's implementation; its shape is plugins/backup/contract.ts.
 */
import { AppError, type PluginContext, toAppError } from "../../server/sdk/index.ts";
import { parseDestinationIds, resolveDestinations } from "./destinations/resolve.ts";
import { neutralizeChoice, sourceOfBackup, targetSide } from "./restore/restore-request.ts";
import { auditWhenDone, startRestoreOperation } from "./restore/restore-start.ts";
import type { BackupService } from "./service.ts";
import type { BackupSettings } from "./settings.ts";
import type { BackupApi, BackupOutcome, RestoreOutcome } from "./contract.ts";

export function createBackupApi(ctx: PluginContext<BackupSettings>, svc: BackupService): BackupApi {
  return {
    async readiness(instanceId) {
      await ctx.instances.get(instanceId);
      const ids = parseDestinationIds((await ctx.settings()).defaultDestinations);
      if (!ids.length)
        return {
          ok: false,
          code: "E_BACKUP_UNAVAILABLE",
          message: "No default backup destination is set",
          hint: "Set “Default destinations” in the backup settings (e.g. local)",
        };
      try {
        await resolveDestinations(ctx, ids);
      } catch (e) {
        const err = toAppError(e);
        return { ok: false, code: err.code, message: err.message, hint: err.hint };
      }
      return { ok: true, destinations: ids };
    },

    async create(instanceId, o) {
      const r = await svc.create(
        instanceId,
        { scope: o.scope, format: o.format, destinations: o.destinations, parentId: o.parentId },
        o.actor,
      );
      await ctx.audit(
        { actor: o.actor },
        {
          action: "backup.create",
          target: r.name,
          instanceId,
          result: "ok",
          details: { operationId: r.operationId, parentId: o.parentId },
        },
      );
      const done = r.done.then(
        (b): BackupOutcome => ({
          status: b.status === "ok" ? "ok" : b.status === "cancelled" ? "cancelled" : "failed",
          backupId: b.id,
          name: b.name,
          ...(b.error ? { error: b.error } : {}),
        }),
      );
      return { operationId: r.operationId, backupId: r.backupId, name: r.name, done };
    },

    async restore(instanceId, o) {
      const inst = await ctx.instances.get(instanceId);
      const b = await svc.store.get(o.backupId);
      if (!b || b.instanceId !== inst.id)
        throw new AppError("E_NOT_FOUND", `Backup ${o.backupId} is not a backup of ${inst.name}`);
      const source = sourceOfBackup(ctx, b, o.actor);
      const t = await targetSide(inst);
      const neutralize = o.neutralize ? neutralizeChoice({ neutralize: "on" }, t, true) : false;
      const { op, dbName } = startRestoreOperation(ctx, {
        t,
        source,
        newDb: null,
        neutralize,
        actor: o.actor,
        ...(o.parentId ? { parentId: o.parentId } : {}),
      });
      await auditWhenDone(
        ctx,
        { actor: o.actor },
        {
          actor: o.actor,
          instanceId: inst.id,
          action: "backup.restore",
          target: b.name,
          done: op.done,
          details: { target: dbName, neutralize: !!neutralize, backupId: b.id, parentId: o.parentId },
        },
      );
      await op.started;
      const done = op.done.then((snap): RestoreOutcome => {
        const res = snap.result as { swap?: { rollbackDb?: string | null } } | undefined;
        return {
          status: snap.status === "running" ? "error" : snap.status,
          rollbackDb: res?.swap?.rollbackDb ?? null,
          ...(snap.error ? { error: snap.error } : {}),
        };
      });
      return { operationId: op.id, done };
    },
  };
}
