/**
 * The part of the backup plugin's "backup.api" service this plugin uses, declared here because
 * plugins never import each other (the backup plugin's plugins/backup/api.ts is the provider; a
 * type test checks the two still fit). Absent when the backup plugin is not enabled.
 */
import type { InstanceHandle } from "../../../server/sdk/index.ts";
import type { ModulesCtx } from "../settings.ts";

export type BackupReadiness =
  | { ok: true; destinations: string[] }
  | { ok: false; code: string; message: string; hint?: string };

export interface BackupApi {
  readiness(instanceId: number): Promise<BackupReadiness>;
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

export const backupApi = (ctx: ModulesCtx) => ctx.services.get<BackupApi>("backup.api");

/** Whether this instance can be backed up before an action, and why not. */
export async function backupReadiness(ctx: ModulesCtx, inst: InstanceHandle): Promise<BackupReadiness> {
  const api = backupApi(ctx);
  if (!api)
    return {
      ok: false,
      code: "E_BACKUP_UNAVAILABLE",
      message: "The backup plugin is not enabled",
      hint: "Enable the “Backup & restore” plugin to back up before module actions",
    };
  try {
    return await api.readiness(inst.id);
  } catch (e) {
    const err = e as { code?: string; message?: string; hint?: string };
    return { ok: false, code: err.code ?? "E_INTERNAL", message: err.message ?? String(e), hint: err.hint };
  }
}

/** The "back up first" default for an instance, from the plugin setting. */
export function backupFirstDefault(setting: string, inst: InstanceHandle): boolean {
  return setting === "always" || (setting === "production" && inst.production);
}
