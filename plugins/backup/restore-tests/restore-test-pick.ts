/**
 * Which backup a restore test restores: the newest successful one that holds a database (a
 * filestore-only one cannot be tested) and still has a copy not found bad. Newer ones whose every
 * copy was found corrupt or missing (by a verify, or by an earlier fetch) are skipped and named.
 */
import { localCopy, remoteCopies } from "../restore/restore-staging.ts";
import type { CheckOutcome } from "./restore-test-store.ts";
import type { BackupRecord, BackupStore } from "../store.ts";

export interface Pick {
  backup: BackupRecord | null;
  /** Newer restorable backups passed over: no copy of them can be trusted any more. */
  skipped: BackupRecord[];
}

const usable = (b: BackupRecord) => localCopy(b) !== null || remoteCopies(b).length > 0;

export async function latestRestorable(backups: BackupStore, instanceId: number): Promise<Pick> {
  const candidates = (await backups.list(instanceId, 500)).filter(
    (b) => b.status === "ok" && b.scope !== "files",
  );
  const i = candidates.findIndex(usable);
  return { backup: i < 0 ? null : candidates[i], skipped: i < 0 ? candidates : candidates.slice(0, i) };
}

/** "acme_…_db.odoodeck (server:3 corrupt: db.dump.zst … does not match its SHA-256)" for each. */
export function describeSkipped(skipped: BackupRecord[]): string {
  return skipped
    .map((b) => {
      const bad = b.destinations
        .filter((d) => d.status === "ok")
        .map((d) => `${d.id} ${d.verify ?? "unchecked"}${d.verifyError ? `: ${d.verifyError}` : ""}`);
      return `${b.name} (${bad.join("; ")})`;
    })
    .join(", ");
}

/** The report line for skipped backups, when there are any. */
export function skippedCheck(skipped: BackupRecord[]): CheckOutcome | null {
  if (!skipped.length) return null;
  return {
    name: "pick",
    status: "skipped",
    message: `not tested, every copy was found bad: ${describeSkipped(skipped)}`,
  };
}
