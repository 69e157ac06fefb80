import type { Connection } from "odoodeck/sdk";
import { MAX_RECORD_BYTES, RecordAssembler } from "./assembler.ts";
import type { LogRecord } from "./record.ts";

/** Up to `max` bytes of a file from `start`, without reading further. */
export async function readRange(conn: Connection, path: string, start: number, max: number, signal?: AbortSignal): Promise<Uint8Array> {
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
export async function recordContaining(conn: Connection, path: string, target: number, signal?: AbortSignal): Promise<LogRecord | null> {
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
