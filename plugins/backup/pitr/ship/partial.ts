/**
 * The segment pg_receivewal is still writing (`<segment>.partial`) shipped too, so a quiet server
 * does not leave its last commits (up to a whole 16 MB segment, possibly hours) only on this
 * machine — and without asking for pg_switch_wal(), which needs a superuser grant.
 *
 * It is shipped when it changed, at most every `everyMs`, overwritten in place at the destination
 * as `wal/<segment>.partial`: whole (a temporary name renamed in folders, one object on S3), and
 * encrypted like the rest by the destination's wrapper. pg_receivewal pads the file to the segment
 * size with zeros: only the part up to the last written page travels, and a recovery pads it back
 * (PostgreSQL wants whole segments), then uses it as the last segment when the closed one is not
 * there, as pg_receivewal's documentation describes (rename it to its full name).
 */
import { readdir, stat, truncate } from "node:fs/promises";
import { join } from "node:path";
import { AppError } from "../../../../server/sdk/index.ts";
import type { Destination } from "../../destinations/types.ts";
import { parseSegment } from "../wal-segments.ts";

/** What a destination holds of the current segment. */
export interface PartialShipped {
  name: string;
  /** The local file's mtime when read (ms): unchanged means nothing new to ship. */
  mtimeMs: number;
  /** Its last change, ISO: the end of what a recovery from there can reach. */
  at: string;
  bytes: number;
  shippedAt: string;
}

export const SEGMENT_BYTES = 16 * 1024 * 1024;
const PAGE = 8192;

/** The newest `.partial` in the archive (pg_receivewal writes one at a time). */
export async function currentPartial(walDir: string) {
  const names = (await readdir(walDir).catch(() => [] as string[]))
    .filter((f) => parseSegment(f)?.partial)
    .sort();
  const file = names.at(-1);
  if (!file) return null;
  const s = await stat(join(walDir, file)).catch(() => null);
  return s ? { name: file.replace(/\.partial$/, ""), file: join(walDir, file), mtimeMs: s.mtimeMs } : null;
}

/** The bytes up to the last page holding anything but zeros (the rest is pg_receivewal's padding). */
export function trimPadding(buf: Uint8Array): Uint8Array {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return buf.subarray(0, Math.min(buf.length, Math.ceil(end / PAGE) * PAGE));
}

/** Pads a fetched `.partial` back to a whole segment, as recovery needs. */
export async function padToSegment(file: string): Promise<void> {
  if ((await stat(file)).size < SEGMENT_BYTES) await truncate(file, SEGMENT_BYTES);
}

/**
 * Ships the current `.partial` when it changed since the last time and `everyMs` has passed;
 * answers what was shipped, or null. The previous segment's `.partial` there is removed by the
 * shipper once that segment is shipped closed, never before.
 */
export async function shipPartial(o: {
  d: Destination;
  root: string;
  st: { upTo: string | null; partial: PartialShipped | null };
  walDir: string;
  everyMs: number;
}): Promise<PartialShipped | null> {
  const cur = await currentPartial(o.walDir);
  if (!cur || (o.st.upTo && cur.name <= o.st.upTo)) return null;
  const last = o.st.partial;
  if (last?.name === cur.name && last.mtimeMs === cur.mtimeMs) return null;
  if (last && Date.now() - Date.parse(last.shippedAt) < o.everyMs) return null;
  const data = trimPadding(await Bun.file(cur.file).bytes());
  const rel = `${o.root}/wal/${cur.name}.partial`;
  const body = () => new Blob([data as Uint8Array<ArrayBuffer>]).stream();
  if (o.d.atomicObjects) await o.d.write(rel, body());
  else {
    const tmp = `${o.root}/wal/.${cur.name}.partial.part`;
    await o.d.remove(tmp);
    await o.d.write(tmp, body());
    await o.d.remove(rel);
    await o.d.rename(tmp, rel);
  }
  const back = await o.d.size(rel);
  if (back !== data.length)
    throw new AppError(
      "E_BACKUP_CORRUPT",
      `${o.d.where(rel)} holds ${back ?? "no"} bytes, ${data.length} were sent`,
    );
  return {
    name: cur.name,
    mtimeMs: cur.mtimeMs,
    at: new Date(cur.mtimeMs).toISOString(),
    bytes: data.length,
    shippedAt: new Date().toISOString(),
  };
}
