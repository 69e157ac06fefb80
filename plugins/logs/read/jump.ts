import type { Connection } from "odoodeck/sdk";
import { RecordAssembler } from "../parse/assembler.ts";
import { readRange } from "./read-range.ts";

/** Bytes read per probe: enough to hold a few lines, even a traceback, past the probe point. */
const PROBE = 16 * 1024;

/** The first record with a timestamp at or after `start`, in bytes read from `from`. */
async function firstStamped(conn: Connection, path: string, from: number, signal?: AbortSignal) {
  const bytes = await readRange(conn, path, from, PROBE, signal);
  const skip = from === 0 ? 0 : bytes.indexOf(10) + 1;
  if (from !== 0 && skip === 0) return null;
  const asm = new RecordAssembler({ offset: from + skip });
  for (const r of [...asm.push(bytes.subarray(skip)), ...asm.end()])
    if (r.ts !== null && r.end <= from + bytes.length) return r;
  return null;
}

/**
 * "Jump to time": the byte offset of the first record at or after `ts` (naive ms, see
 * LogRecord.ts), by binary search over the file with ranged reads — a few dozen small reads for
 * a file of any size. Returns the file size when every record is older.
 */
export async function findOffsetAtTime(
  conn: Connection,
  path: string,
  ts: number,
  signal?: AbortSignal,
): Promise<number> {
  const size = (await conn.stat(path))?.size ?? 0;
  let lo = 0; // every record starting before lo is older than ts
  let hi = size; // a record at or after ts starts at or before hi (or none does)
  while (hi - lo > PROBE) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const r = await firstStamped(conn, path, mid, signal);
    if (!r || r.offset >= hi) hi = mid;
    else if (r.ts! < ts) lo = r.offset + 1;
    else hi = r.offset;
  }
  // Finish with a short linear scan.
  const bytes = await readRange(conn, path, lo, hi - lo + PROBE, signal);
  const skip = lo === 0 ? 0 : bytes.indexOf(10) + 1;
  const asm = new RecordAssembler({ offset: lo + skip });
  for (const r of [...asm.push(bytes.subarray(skip)), ...asm.end()])
    if (r.ts !== null && r.ts >= ts) return r.offset;
  return Math.min(size, hi);
}
