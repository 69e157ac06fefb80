/**
 * The part of the backup plugin's "backup.api" service a deploy uses (plugins never import each
 * other; plugins/backup/api.ts provides it, a type check in the tests keeps the two in step).
 * Absent when the backup plugin is not enabled.
 */
export interface BackupApi {
  readiness(
    instanceId: number,
  ): Promise<
    { ok: true; destinations: string[] } | { ok: false; code: string; message: string; hint?: string }
  >;
  create(
    instanceId: number,
    opts: { scope?: "full"; format?: "native"; actor: string; parentId?: string },
  ): Promise<{
    operationId: string;
    backupId: number;
    name: string;
    done: Promise<{ status: "ok" | "failed" | "cancelled"; backupId: number; name: string; error?: string }>;
  }>;
  restore(
    instanceId: number,
    opts: { backupId: number; actor: string; parentId?: string; neutralize: false },
  ): Promise<{
    operationId: string;
    done: Promise<{ status: string; rollbackDb: string | null; error?: { code: string; message: string } }>;
  }>;
}
