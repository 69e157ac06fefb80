/**
 * Archive health, for the card and the lag alert: the newest WAL received and when, how far the
 * archive trails the server (bytes and seconds), how much WAL the slot makes the server keep (its
 * disk grows while odoodeck is down), and gaps: segments missing since the oldest base backup,
 * after which no point in time can be recovered.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { PgTarget } from "../restore/restore-pg.ts";
import { type BaseBackup, listBaseBackups } from "./base-backup.ts";
import type { ShipHealth } from "./ship/ship-health.ts";
import { pgBin, replicationArgs, runLocal, toolEnv } from "./tools.ts";
import { findGaps, parseSegment, segmentOfLsn } from "./wal-segments.ts";

export interface ArchiveHealth {
  lastWal: string | null;
  lastWalAt: string | null;
  slotActive: boolean;
  /** Bytes the server has written that the archive has not (null: server not reachable). */
  lagBytes: number | null;
  lagSeconds: number | null;
  /** Bytes of WAL the slot holds on the server. */
  retainedBytes: number | null;
  gaps: { count: number; missing: string[] };
  bases: BaseBackup[];
  /** Recoverable window: oldest base backup's end → last WAL received (null when none). */
  window: { from: string; to: string } | null;
  /** Per non-local destination: what is shipped, the backlog and its age (ship-health.ts). */
  shipping?: ShipHealth[];
}

async function lastSegment(walDir: string): Promise<{ name: string; at: Date } | null> {
  const files = (await readdir(walDir).catch(() => [] as string[])).filter((f) => parseSegment(f));
  const newest = files.sort().at(-1);
  if (!newest) return null;
  return { name: newest, at: (await stat(join(walDir, newest))).mtime };
}

async function slotState(pg: PgTarget, slot: string) {
  if (!/^[a-z0-9_]+$/.test(slot)) throw new Error(`bad slot name ${slot}`);
  const sql = `SELECT s.active, pg_current_wal_lsn() - s.restart_lsn,
      pg_current_wal_lsn() - coalesce(r.write_lsn, s.restart_lsn), extract(epoch FROM r.write_lag)
    FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
    WHERE s.slot_name = '${slot}'`;
  const out = await runLocal(
    [pgBin("psql"), "-X", "-A", "-t", "-F", "|", ...replicationArgs(pg), "-d", "postgres", "-c", sql],
    { env: toolEnv(pg), what: "psql" },
  );
  const [active, retained, lag, lagSec] = out.trim().split("|");
  if (active === undefined || active === "") return null;
  const num = (v?: string) => (v ? Number(v) : null);
  return { active: active === "t", retained: num(retained), lag: num(lag), lagSeconds: num(lagSec) };
}

export async function archiveHealth(
  o: { archiveDir: string; walDir: string; pg: PgTarget; slot: string },
  now = new Date(),
): Promise<ArchiveHealth> {
  const [last, bases, slot] = await Promise.all([
    lastSegment(o.walDir),
    listBaseBackups(o.archiveDir),
    slotState(o.pg, o.slot).catch(() => null),
  ]);
  const files = await readdir(o.walDir).catch(() => [] as string[]);
  const oldest = bases[0];
  const gaps = oldest ? findGaps(files, segmentOfLsn(oldest.startLsn)) : { count: 0, missing: [] };
  const lagBytes = slot?.lag ?? null;
  const lagSeconds =
    slot?.active && lagBytes !== null
      ? lagBytes <= 0
        ? 0
        : (slot.lagSeconds ?? 0)
      : last
        ? Math.round((now.getTime() - last.at.getTime()) / 1000)
        : null;
  return {
    lastWal: last?.name ?? null,
    lastWalAt: last?.at.toISOString() ?? null,
    slotActive: slot?.active ?? false,
    lagBytes,
    lagSeconds,
    retainedBytes: slot?.retained ?? null,
    gaps,
    bases,
    window: oldest && last ? { from: oldest.finishedAt, to: last.at.toISOString() } : null,
  };
}
