import type { CheckDef, Measurement } from "../types.ts";

/**
 * What the health plugin expects the backup plugin to provide as service "backup.status".
 * Dates are ISO strings; null when there was never one.
 */
export interface BackupStatusService {
  status(instanceId: number): Promise<{ lastBackupAt: string | null; lastVerifiedRestoreAt: string | null }>;
}

type Lookup = () => BackupStatusService | null;

function ageCheck(
  id: string,
  label: string,
  field: "lastBackupAt" | "lastVerifiedRestoreAt",
  what: string,
  thresholds: { warning: number; critical: number },
  lookup: Lookup,
): CheckDef {
  return {
    id,
    label,
    unit: "h",
    thresholds: { ...thresholds, direction: "above" },
    async run(target): Promise<Measurement> {
      const svc = lookup();
      if (!svc || typeof svc.status !== "function")
        return {
          status: "unknown",
          message: "the backup plugin is not installed (no backup.status service)",
        };
      const at = (await svc.status(target.instance.id))?.[field] ?? null;
      if (!at) return { status: "critical", message: `no ${what} ever recorded` };
      const hours = Math.round(((Date.now() - Date.parse(at)) / 3_600_000) * 10) / 10;
      return {
        value: hours,
        data: { age_seconds: Math.round(hours * 3600) },
        message: `last ${what} ${hours} h ago (${at})`,
      };
    },
  };
}

export const backupChecks = (lookup: Lookup): CheckDef[] => [
  ageCheck(
    "backup_age",
    "Last backup",
    "lastBackupAt",
    "successful backup",
    { warning: 26, critical: 50 },
    lookup,
  ),
  ageCheck(
    "restore_test_age",
    "Last verified restore",
    "lastVerifiedRestoreAt",
    "verified restore",
    { warning: 8 * 24, critical: 15 * 24 },
    lookup,
  ),
];
