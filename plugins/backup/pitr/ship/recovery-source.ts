/**
 * Picks where a point-in-time restore recovers from: the local archive when it is there and
 * whole (WAL received, no gap) and covers T; else the first destination it was shipped to whose
 * marker covers T (fetched into a private folder first); else the local archive even with a gap
 * (T may come before it). The base backup is chosen up front, so a T outside every window is
 * refused before any operation starts.
 */
import { join } from "node:path";
import { AppError } from "../../../../server/sdk/index.ts";
import type { Destination } from "../../destinations/types.ts";
import { compactStamp } from "../../restore/restore-pg.ts";
import type { BaseBackup } from "../base-backup.ts";
import { fetchForRecovery, type RecoveryInput, remoteArchives } from "./fetch-remote.ts";
import type { ArchiveHealth } from "../health.ts";
import { baseFor } from "../restore-op.ts";

export interface RecoverySource {
  /** "local", or the destination id the archive is fetched from. */
  from: string;
  base: BaseBackup;
  /** When the newest WAL there was received (null: unknown). */
  walEnd: string | null;
  /** Makes the base backup and WAL available on this machine (a fetch for a destination). */
  prepare(o?: { signal?: AbortSignal; log?: (line: string) => void }): Promise<RecoveryInput>;
}

/**
 * What recovery replays to: the moment, or all the WAL there is when the moment is not before the
 * newest WAL received. PostgreSQL stops at the first commit after the target time and refuses
 * ("recovery ended before configured recovery target was reached") when there is none — which is
 * the case for the window's end, the moment a user at 2 a.m. picks most often. All the WAL received
 * by then holds exactly the commits made up to it.
 */
export function recoveryTarget(at: Date, walEnd: string | null): Date | "latest" {
  return walEnd && at.getTime() >= new Date(walEnd).getTime() ? "latest" : at;
}

export async function recoverySource(o: {
  instanceId: number;
  instanceName: string;
  archiveDir: string;
  walDir: string;
  local: ArchiveHealth | null;
  remotes: () => Promise<Destination[]>;
  at: Date;
}): Promise<RecoverySource> {
  const errors: unknown[] = [];
  const local = (h: ArchiveHealth): RecoverySource => {
    const base = baseFor(h.bases, o.at, h.lastWalAt);
    return {
      from: "local",
      base,
      walEnd: h.lastWalAt,
      prepare: async () => ({ base, walDir: o.walDir, cleanup: async () => {} }),
    };
  };
  const whole = o.local && o.local.lastWal !== null && o.local.gaps.count === 0;
  if (o.local && whole) {
    try {
      return local(o.local);
    } catch (e) {
      errors.push(e);
    }
  }
  const dests = await o.remotes().catch(() => [] as Destination[]);
  for (const remote of await remoteArchives(dests, o.instanceId)) {
    try {
      // the shipped `.partial` reaches further than the last closed segment
      const m = remote.marker;
      const end = m.partial && (!m.upToAt || m.partial.at > m.upToAt) ? m.partial.at : m.upToAt;
      const base = baseFor(m.bases, o.at, end);
      return {
        from: remote.dest.id,
        base,
        walEnd: end,
        prepare: (p = {}) =>
          fetchForRecovery({
            remote,
            instanceId: o.instanceId,
            base,
            into: join(o.archiveDir, `.fetch-${compactStamp()}`),
            ...p,
          }),
      };
    } catch (e) {
      errors.push(e);
    }
  }
  if (o.local && !whole && o.local.bases.length) return local(o.local);
  if (errors.length) throw errors[0];
  throw new AppError("E_VALIDATION", `Continuous WAL is not enabled for ${o.instanceName}`, {
    hint: "Enable it on the Backups tab first; a point in time needs a base backup and the WAL after it",
  });
}
