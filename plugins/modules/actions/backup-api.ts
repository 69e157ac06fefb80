/**
 * The backup plugin's "backup.api" service, as its contract declares it (a type-only import: plugins
 * never import each other's code). Absent when the backup plugin is not enabled.
 */
import type { BackupApi, BackupReadiness } from "../../backup/contract.ts";
import { defineService, type InstanceHandle } from "../../../server/sdk/index.ts";
import type { ModulesCtx } from "../settings.ts";

export type { BackupApi, BackupReadiness };

/** The same id the backup plugin provides its service under; typed by its contract. */
const backupApiRef = defineService<BackupApi>("backup.api");

export const backupApi = (ctx: ModulesCtx) => ctx.services.get(backupApiRef);

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
