/**
 * The "backup.api" service: what other plugins may ask of the backup plugin without importing it
 * (the modules plugin backs up before an upgrade and rolls back to that backup if it fails).
 * Plugins declare the part of this interface they use locally; the shapes are the contract.
 * Callers authorize their users first: the service trusts its caller, and audits as `actor`.
 */
import { AppError, type PluginContext, toAppError } from "../../server/sdk/index.ts";
import { parseDestinationIds, resolveDestinations } from "./destinations/resolve.ts";
import { neutralizeChoice, sourceOfBackup, targetSide } from "./restore-request.ts";
import { auditWhenDone, startRestoreOperation } from "./restore-start.ts";
import type { BackupService } from "./service.ts";
import type { BackupSettings } from "./settings.ts";

/** Whether a backup can be taken now with the default destinations. */
export type BackupReadiness =
  | {
      ok: true;
      /** Where it goes; restore() can use any of them (remote copies are fetched and checked first). */
      destinations: string[];
    }
  | { ok: false; code: string; message: string; hint?: string };

export interface BackupOutcome {
  status: "ok" | "failed" | "cancelled";
  backupId: number;
  name: string;
  error?: string;
}

export interface RestoreOutcome {
  status: "ok" | "error" | "cancelled" | "interrupted";
  /** The instance's previous database, kept aside (`<db>__rollback_<ts>`). */
  rollbackDb: string | null;
  error?: { code: string; message: string; hint?: string };
}

export interface BackupApi {
  /** @example const r = await api.readiness(7); if (!r.ok) show(r.message); */
  readiness(instanceId: number): Promise<BackupReadiness>;
  /**
   * Starts a backup to the default destinations (or `destinations`); resolves once it runs.
   * With `parentId` it runs under that operation's lock (no E_BUSY against its own parent).
   * @example const b = await api.create(7, { actor: "ann", parentId: op.id }); const out = await b.done;
   */
  create(
    instanceId: number,
    opts: {
      scope?: "full" | "db" | "files";
      format?: "native" | "zip";
      destinations?: string[];
      actor: string;
      parentId?: string;
    },
  ): Promise<{ operationId: string; backupId: number; name: string; done: Promise<BackupOutcome> }>;
  /**
   * Restores a finished backup of this instance over it with the safe swap (temporary database,
   * verify, swap; the current database is kept aside as a rollback copy). A locking operation:
   * rejects with E_BUSY while another one holds the instance (unless it is `parentId`).
   * @example const r = await api.restore(7, { backupId: 12, actor: "ann", neutralize: false });
   */
  restore(
    instanceId: number,
    opts: { backupId: number; actor: string; parentId?: string; neutralize: boolean },
  ): Promise<{ operationId: string; done: Promise<RestoreOutcome> }>;
}

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
