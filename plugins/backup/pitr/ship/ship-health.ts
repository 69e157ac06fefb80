/**
 * How far each destination trails the local archive: closed segments not shipped yet (count and
 * bytes), how long the oldest of them has waited, base backups not shipped, the shipped-up-to
 * mark and the last failure with the back-off (failures in a row, next try). `.partial` (still
 * being written) is never counted as backlog: it is not due; what of it was shipped is shown.
 */
import { listBaseBackups } from "../base-backup.ts";
import { closedSegments, readShipStates } from "./shipper.ts";

export interface ShipHealth {
  dest: string;
  upTo: string | null;
  upToAt: string | null;
  backlogSegments: number;
  backlogBytes: number;
  /** Seconds the oldest unshipped closed segment has waited (0: nothing waiting). */
  lagSeconds: number;
  basesPending: number;
  shippedAt: string | null;
  lastError: string | null;
  /** Failed passes in a row, and when the next try is (back-off); 0 / null when shipping works. */
  failures: number;
  retryAt: string | null;
  /** The segment still being written, as shipped there, and its last change. */
  partial: { name: string; at: string } | null;
}

export async function shippingHealth(
  archiveDir: string,
  walDir: string,
  now = new Date(),
): Promise<ShipHealth[]> {
  const states = await readShipStates(archiveDir);
  if (!states.length) return [];
  const [segs, bases] = await Promise.all([closedSegments(walDir), listBaseBackups(archiveDir)]);
  return states.map((s) => {
    const waiting = segs.filter((g) => !s.upTo || g.name > s.upTo);
    const oldest = waiting[0];
    return {
      dest: s.dest,
      upTo: s.upTo,
      upToAt: s.upToAt,
      backlogSegments: waiting.length,
      backlogBytes: waiting.reduce((n, g) => n + g.bytes, 0),
      lagSeconds: oldest ? Math.max(0, Math.round((now.getTime() - oldest.at.getTime()) / 1000)) : 0,
      basesPending: bases.filter((b) => !s.bases.includes(b.name)).length,
      shippedAt: s.shippedAt,
      lastError: s.lastError,
      failures: s.failures ?? 0,
      retryAt: s.lastError ? (s.retryAt ?? null) : null,
      partial: s.partial ? { name: s.partial.name, at: s.partial.at } : null,
    };
  });
}

/** Alert lines for the `backup.wal_lag` check and the card. */
export function shippingProblems(ships: ShipHealth[], lagAlertSeconds: number): string[] {
  const p: string[] = [];
  for (const s of ships) {
    if (s.lastError)
      p.push(
        `shipping to ${s.dest} failed${s.failures > 1 ? ` ${s.failures} times in a row` : ""}: ${s.lastError}` +
          (s.retryAt ? ` (next try ${s.retryAt.slice(11, 19)} UTC)` : ""),
      );
    if (s.lagSeconds > lagAlertSeconds)
      p.push(`shipping to ${s.dest} ${s.lagSeconds} s behind (${s.backlogSegments} segment(s) waiting)`);
  }
  return p;
}
