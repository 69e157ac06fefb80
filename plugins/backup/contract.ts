/**
 * The backup plugin's contract: the shape of its "backup.api" service, which other plugins use
 * without importing the plugin (`import type` from this file is the one thing the boundary check
 * allows across plugins). The modules plugin backs up before an upgrade and rolls back to that
 * backup if it fails; deploys do the same. Callers authorize their users first: the service
 * trusts its caller, and audits as `actor`.
 * @example
 * // in another plugin, with a type-only import of BackupApi from this file:
 * const api = ctx.services.get<BackupApi>("backup.api");
 */

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
