import type { Connection } from "odoodeck/sdk";

/**
 * Past this many bytes, the lines before a position are not counted (a view or a follower would
 * wait on it): its records then show no line number rather than a wrong one.
 */
export const LINE_COUNT_MAX = 256 * 1024 * 1024;

/**
 * Line breaks in the first `bytes` bytes of a file, counted where the file is (locally or over
 * SSH, nothing is transferred); null past LINE_COUNT_MAX or when the count fails.
 */
export async function lineBreaksBefore(
  conn: Connection,
  path: string,
  bytes: number,
  signal?: AbortSignal,
): Promise<number | null> {
  if (bytes === 0) return 0;
  if (bytes > LINE_COUNT_MAX) return null;
  const r = await conn.exec(
    ["sh", "-c", 'head -c "$1" -- "$2" | wc -l', "odoodeck-lines", String(bytes), path],
    {
      signal,
      timeoutMs: 60_000,
    },
  );
  const n = Number(r.stdout.trim());
  return r.code === 0 && Number.isInteger(n) ? n : null;
}
