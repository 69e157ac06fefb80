/**
 * Retention of the local archive (`<data>/pitr/<instance>/`): the newest `keep` base backups stay
 * (never fewer than one), and the WAL from the oldest kept one's start. A segment some destination
 * has not received yet stays too (shipping reads it from here), so a destination that is down for
 * days catches up with nothing missing; timeline history files and the `.partial` always stay.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { listBaseBackups } from "./base-backup.ts";
import { keepNewest } from "./ship/retention.ts";
import { readShipStates } from "./ship/shipper.ts";
import { parseSegment, segmentOfLsn } from "./wal-segments.ts";

export async function pruneLocalArchive(o: {
  archiveDir: string;
  walDir: string;
  keep: number;
}): Promise<{ bases: string[]; segments: number }> {
  const { kept, dropped } = keepNewest(await listBaseBackups(o.archiveDir), o.keep);
  if (!kept.length) return { bases: [], segments: 0 };
  let cutoff = segmentOfLsn(kept[0]!.startLsn);
  for (const st of await readShipStates(o.archiveDir)) {
    const upTo = st.upTo ? parseSegment(st.upTo) : null;
    const next = upTo ? upTo.seq + 1n : 0n; // nothing shipped there yet: keep everything
    if (next < cutoff) cutoff = next;
  }
  let segments = 0;
  for (const f of await readdir(o.walDir).catch(() => [] as string[])) {
    const seg = parseSegment(f);
    if (!seg || seg.partial || seg.seq >= cutoff) continue;
    await rm(join(o.walDir, f), { force: true });
    segments++;
  }
  for (const b of dropped) await rm(b.dir, { recursive: true, force: true });
  return { bases: dropped.map((b) => b.name), segments };
}
