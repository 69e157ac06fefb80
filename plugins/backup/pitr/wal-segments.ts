/**
 * WAL segment file names (`TTTTTTTTXXXXXXXXYYYYYYYY`: timeline, then the segment number split in
 * two) and the gaps in an archive: a missing segment between a base backup and the newest one
 * means no point in time after it can be recovered.
 */

/** Segments per "xlogid" with the default 16 MB segment size. */
const PER_ID = 0x100000000n / (16n * 1024n * 1024n);

export interface Segment {
  name: string;
  timeline: number;
  /** Position in the WAL stream (segment number). */
  seq: bigint;
  partial: boolean;
}

const NAME = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(\.partial)?$/;

export function parseSegment(file: string): Segment | null {
  const m = NAME.exec(file);
  if (!m) return null;
  return {
    name: `${m[1]}${m[2]}${m[3]}`,
    timeline: Number.parseInt(m[1]!, 16),
    seq: BigInt(`0x${m[2]}`) * PER_ID + BigInt(`0x${m[3]}`),
    partial: Boolean(m[4]),
  };
}

export function segmentName(timeline: number, seq: bigint): string {
  const hex = (n: bigint | number, w = 8) => n.toString(16).toUpperCase().padStart(w, "0");
  return `${hex(timeline)}${hex(seq / PER_ID)}${hex(seq % PER_ID)}`;
}

/** The segment holding LSN `X/Y` (as PostgreSQL prints it). */
export function segmentOfLsn(lsn: string): bigint {
  const [hi = "0", lo = "0"] = lsn.split("/");
  const pos = (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
  return pos / (16n * 1024n * 1024n);
}

/** Bytes between two LSNs (`a` - `b`). */
export function lsnDiff(a: string, b: string): bigint {
  const v = (l: string) => {
    const [hi = "0", lo = "0"] = l.split("/");
    return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
  };
  return v(a) - v(b);
}

/**
 * Segment names missing between `fromSeq` (a base backup's first segment) and the newest segment
 * present, on the newest timeline. At most `limit` names (a long gap is one message, not a list).
 */
export function findGaps(files: string[], fromSeq: bigint, limit = 20): { missing: string[]; count: number } {
  const segs = files.map(parseSegment).filter((s): s is Segment => s !== null);
  if (segs.length === 0) return { missing: [], count: 0 };
  const timeline = Math.max(...segs.map((s) => s.timeline));
  const have = new Set(segs.filter((s) => s.timeline === timeline).map((s) => s.seq));
  const newest = [...have].reduce((a, b) => (b > a ? b : a), fromSeq);
  const missing: string[] = [];
  let count = 0;
  for (let s = fromSeq; s <= newest; s++) {
    if (have.has(s)) continue;
    count++;
    if (missing.length < limit) missing.push(segmentName(timeline, s));
  }
  return { missing, count };
}
