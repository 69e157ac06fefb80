import { defineService } from "../../../server/sdk/index.ts";
import type { CheckDef, Measurement } from "../types.ts";

/** A date, or a record carrying one (the backup plugin returns its BackupRecord). */
type Dated =
  | string
  | { verifiedAt?: string | null; finishedAt?: string | null; at?: string | null; createdAt?: string | null }
  | null;

/**
 * The "backup.status" service as the backup plugin provides it: `lastBackup(id)` and
 * `lastVerifiedRestore(id)` resolve to a record (or an ISO date) or null.
 */
export interface BackupStatusService {
  lastBackup?(instanceId: number): Promise<unknown>;
  lastVerifiedRestore?(instanceId: number): Promise<unknown>;
}

/**
 * Health's ref to it, typed by health's view of the service. When plugins/backup has its
 * contract.ts, this becomes `defineService<BackupStatus>("backup.status")` with that interface
 * imported type-only: still no run-time import of the backup plugin.
 */
export const backupStatusService = defineService<BackupStatusService>("backup.status");

/** The most meaningful date of what the service returned: verification, then completion. */
export function dateOf(x: unknown): string | null {
  if (!x) return null;
  if (typeof x === "string") return Number.isNaN(Date.parse(x)) ? null : x;
  if (typeof x !== "object") return null;
  const r = x as Exclude<Dated, string | null>;
  for (const v of [r.verifiedAt, r.finishedAt, r.at, r.createdAt]) if (typeof v === "string" && v) return v;
  return null;
}

type Lookup = () => BackupStatusService | null;

function ageCheck(
  id: string,
  label: string,
  method: "lastBackup" | "lastVerifiedRestore",
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
      const fn = svc?.[method];
      if (!svc || typeof fn !== "function")
        return {
          status: "unknown",
          message: `the backup plugin is not installed (no backup.status service with ${method})`,
        };
      const at = dateOf(await fn.call(svc, target.instance.id));
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
    "lastBackup",
    "successful backup",
    { warning: 26, critical: 50 },
    lookup,
  ),
  ageCheck(
    "restore_test_age",
    "Last verified restore",
    "lastVerifiedRestore",
    "verified restore",
    { warning: 8 * 24, critical: 15 * 24 },
    lookup,
  ),
];
