/**
 * Retention of a shipped archive at one destination: the newest `keep` base backups stay (never
 * fewer than one: the newest and everything after it are never deleted), and with them every
 * segment from the start of the oldest kept one. Older base backups and segments are deleted.
 *
 * Only what the destination's marker lists is considered (shipped and confirmed there), and
 * segments only up to the shipped-up-to mark (one not shipped yet would otherwise arrive after
 * its deletion). The marker is written first without the dropped base backups, so a recovery
 * never picks one half-deleted; `prunePending` names what is still to delete, so an interrupted
 * pass finishes on the next one. The marker's `walFrom` (the oldest segment that may be there)
 * says where the next deletion starts: the destination is never listed.
 */
import { AppError } from "../../../../server/sdk/index.ts";
import type { Destination } from "../../destinations/types.ts";
import { parseSegment, segmentName, segmentOfLsn } from "../wal-segments.ts";
import { remoteRoot, type ShippedMarker } from "./shipper.ts";

export interface Pruned {
  bases: string[];
  segments: number;
}

/** The newest `keep` of `sorted` (oldest first) and the rest; never fewer than one kept. */
export function keepNewest<T>(sorted: T[], keep: number): { kept: T[]; dropped: T[] } {
  const n = Math.max(1, Math.floor(keep));
  return { kept: sorted.slice(-n), dropped: sorted.slice(0, Math.max(0, sorted.length - n)) };
}

/** The base backups to drop and the first segment to keep, for `keep` base backups. */
export function retentionPlan(m: ShippedMarker, keep: number) {
  const { kept, dropped } = keepNewest(
    [...m.bases].sort((a, b) => a.name.localeCompare(b.name)),
    keep,
  );
  const oldest = kept[0];
  const upTo = m.upTo ? parseSegment(m.upTo) : null;
  let cutoff: bigint | null = oldest ? segmentOfLsn(oldest.startLsn) : null;
  if (cutoff !== null && (!upTo || upTo.seq + 1n < cutoff)) cutoff = upTo ? upTo.seq + 1n : null;
  const from = m.walFrom ? parseSegment(m.walFrom)!.seq : null;
  return { kept, dropped, cutoff, from };
}

export async function pruneDestination(o: {
  d: Destination;
  instanceId: number;
  keep: number;
  marker: ShippedMarker | null;
  write: (m: ShippedMarker) => Promise<void>;
  signal?: AbortSignal;
}): Promise<Pruned> {
  const out: Pruned = { bases: [], segments: 0 };
  let m = o.marker;
  if (!m?.bases.length) return out;
  const root = remoteRoot(o.instanceId);
  const plan = retentionPlan(m, o.keep);
  const pending = [...(m.prunePending ?? [])];
  const segmentsDue = plan.cutoff !== null && plan.from !== null && plan.from < plan.cutoff;
  if (!plan.dropped.length && !pending.length && !segmentsDue) return out;
  if (plan.dropped.length) {
    // first out of the marker: from now on no recovery picks them
    const names = plan.dropped.map((b) => b.name);
    m = {
      ...m,
      bases: plan.kept,
      pruned: [...new Set([...(m.pruned ?? []), ...names])].sort(),
      prunePending: [...new Set([...pending, ...names])].sort(),
      writtenAt: new Date().toISOString(),
    };
    await o.write(m);
  }
  const stop = () => {
    if (o.signal?.aborted) throw new AppError("E_CANCELLED", "WAL shipping was stopped");
  };
  if (segmentsDue) {
    const timelines = new Set<number>([
      ...m.bases.map((b) => b.timeline),
      ...plan.dropped.map((b) => b.timeline),
      ...(m.upTo ? [parseSegment(m.upTo)!.timeline] : []),
    ]);
    const names: string[] = [];
    for (let seq = plan.from!; seq < plan.cutoff!; seq++)
      for (const tl of timelines) names.push(segmentName(tl, seq));
    // a few at a time: one request (S3) or command (SSH) each
    for (let i = 0; i < names.length; i += 8) {
      stop();
      await Promise.all(names.slice(i, i + 8).map((n) => o.d.remove(`${root}/wal/${n}`)));
    }
    out.segments = Number(plan.cutoff! - plan.from!);
  }
  for (const name of m.prunePending ?? []) {
    stop();
    await o.d.remove(`${root}/base/${name}`);
    out.bases.push(name);
  }
  const walFrom = plan.cutoff !== null ? segmentName(m.bases[0]!.timeline, plan.cutoff) : (m.walFrom ?? null);
  await o.write({ ...m, walFrom, prunePending: [], writtenAt: new Date().toISOString() });
  return out;
}
