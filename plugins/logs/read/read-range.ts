import type { Connection } from "odoodeck/sdk";
import { MAX_RECORD_BYTES, RecordAssembler } from "../parse/assembler.ts";
import type { LogRecord } from "../parse/record.ts";

/** Up to `max` bytes of a file from `start`, without reading further. */
export async function readRange(
  conn: Connection,
  path: string,
  start: number,
  max: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const reader = conn.readFile(path, { start, signal }).getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = Buffer.concat(parts, size);
  return all.subarray(0, Math.min(size, max));
}

/**
 * The whole record that holds byte `target` (its traceback included), reading a bounded window
 * around it: used when grep matched one line of a record and the rest is needed.
 */
export async function recordContaining(
  conn: Connection,
  path: string,
  target: number,
  signal?: AbortSignal,
): Promise<LogRecord | null> {
  const direct = await recordStartingAt(conn, path, target, signal);
  if (direct) return direct;
  const start = Math.max(0, target - MAX_RECORD_BYTES);
  const want = target - start + 2 * MAX_RECORD_BYTES;
  const bytes = await readRange(conn, path, start, want, signal);
  // From the middle of a file the first line is a fragment: start at the first full line.
  const skip = start === 0 ? 0 : bytes.indexOf(10) + 1;
  const asm = new RecordAssembler({ offset: start + skip });
  const records = [...asm.push(bytes.subarray(skip)), ...asm.end()];
  const found = records.find((r) => r.offset <= target && target < r.end) ?? null;
  // A record larger than the window: what was read is shown, marked as cut.
  if (found && found === records.at(-1) && bytes.length === want) found.truncated = true;
  return found;
}

/** The record whose header line starts exactly at `offset`, reading only as far as the next one. */
async function recordStartingAt(
  conn: Connection,
  path: string,
  offset: number,
  signal?: AbortSignal,
): Promise<LogRecord | null> {
  const reader = conn.readFile(path, { start: offset, signal }).getReader();
  const asm = new RecordAssembler({ offset });
  let read = 0;
  try {
    while (read <= 2 * MAX_RECORD_BYTES) {
      const { done, value } = await reader.read();
      const out = done ? asm.end() : asm.push(value);
      if (out.length) return out[0].offset === offset && !out[0].raw ? out[0] : null;
      if (done) return null;
      read += value.length;
    }
    const [r] = asm.flush();
    if (r) r.truncated = true;
    return r?.offset === offset && !r.raw ? r : null;
  } finally {
    await reader.cancel().catch(() => {});
  }
}
