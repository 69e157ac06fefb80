/**
 * Recovery from a destination the archive was shipped to, for when the local archive is gone
 * (disk lost, folder deleted) or has a hole: the chosen base backup and every shipped segment
 * from its start up to the destination's shipped-up-to mark are brought into a private folder
 * on this machine (decrypted on the way by the destination's wrapper), and recovery runs on
 * that copy exactly as on the local archive. The segment pg_receivewal was still writing, when
 * shipped as `<segment>.partial` (partial.ts), comes last, padded back to a whole segment; the
 * recovery uses it when the closed segment is not there, so the window ends at its last change.
 */
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { AppError } from "../../../../server/sdk/index.ts";
import type { Destination } from "../../destinations/types.ts";
import { archiveNames, type BaseBackup } from "../base-backup.ts";
import { padToSegment } from "./partial.ts";
import { BASE_META, readMarker, remoteRoot, type ShippedMarker } from "./shipper.ts";
import { clusterDir, runLocal } from "../tools.ts";
import { parseSegment, segmentName, segmentOfLsn } from "../wal-segments.ts";

/** What recover.ts needs; `cleanup` removes the fetched copy. */
export interface RecoveryInput {
  base: BaseBackup;
  walDir: string;
  cleanup: () => Promise<void>;
}

export interface RemoteArchive {
  dest: Destination;
  marker: ShippedMarker;
}

/** The destinations holding a shipped archive of the instance, with their markers. */
export async function remoteArchives(dests: Destination[], instanceId: number): Promise<RemoteArchive[]> {
  const out: RemoteArchive[] = [];
  for (const dest of dests) {
    const marker = await readMarker(dest, instanceId).catch(() => null);
    if (marker?.bases.length) out.push({ dest, marker });
  }
  return out;
}

async function download(d: Destination, rel: string, file: string, signal?: AbortSignal): Promise<number> {
  if (signal?.aborted) throw new AppError("E_CANCELLED", "The point-in-time restore was cancelled");
  const expected = await d.size(rel);
  if (expected === null) return -1;
  const got = await Bun.write(file, new Response(d.read(rel)));
  if (got !== expected)
    throw new AppError("E_BACKUP_CORRUPT", `${d.where(rel)}: ${got} bytes read, ${expected} expected`);
  return got;
}

/**
 * The segment after the last closed one: whole if it closed since the marker was written, else
 * the shipped `.partial` (padded back to a whole segment); null when neither is there. The
 * `.partial` is rewritten in place while the receiver runs (partial.ts): a read may meet a newer
 * copy than the size asked just before, or the moment the old copy is removed before the new one
 * is renamed in. Asked again a moment later, it is whole; only a failure that persists is one.
 */
async function downloadTail(
  d: Destination,
  root: string,
  name: string,
  walDir: string,
  signal?: AbortSignal,
): Promise<{ bytes: number; partial: boolean } | null> {
  const file = join(walDir, `${name}.partial`);
  for (let attempt = 1; ; attempt++) {
    try {
      const n = await download(d, `${root}/wal/${name}`, join(walDir, name), signal);
      if (n >= 0) return { bytes: n, partial: false };
      const p = await download(d, `${root}/wal/${name}.partial`, file, signal);
      if (p >= 0) {
        await padToSegment(file);
        return { bytes: p, partial: true };
      }
      if (attempt >= 3) return null;
    } catch (e) {
      await rm(file, { force: true });
      if (attempt >= 3 || (e as AppError).code === "E_CANCELLED") throw e;
    }
    await Bun.sleep(500 * attempt);
  }
}

/**
 * Fetches `base` (a base backup listed in the marker) and the WAL after it into `into` (created,
 * handed to the cluster user, removed by `cleanup`).
 */
export async function fetchForRecovery(o: {
  remote: RemoteArchive;
  instanceId: number;
  base: BaseBackup;
  into: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}): Promise<RecoveryInput & { segments: number; bytes: number }> {
  const { dest: d, marker } = o.remote;
  const root = remoteRoot(o.instanceId);
  const baseDir = join(o.into, "base", o.base.name);
  const walDir = join(o.into, "wal");
  const cleanup = () => rm(o.into, { recursive: true, force: true });
  try {
    await clusterDir(dirname(o.into)); // the archive folder, made again if it was lost
    await clusterDir(o.into);
    await clusterDir(join(o.into, "base"));
    await clusterDir(baseDir);
    await clusterDir(walDir);
    let bytes = 0;
    o.log?.(`Fetching base backup ${o.base.name} from ${d.label}`);
    for (const f of [...archiveNames(o.base.compression), "backup_manifest", BASE_META]) {
      const n = await download(d, `${root}/base/${o.base.name}/${f}`, join(baseDir, f), o.signal);
      if (n < 0 && f !== "backup_manifest")
        throw new AppError("E_BACKUP_CORRUPT", `${d.where(`${root}/base/${o.base.name}/${f}`)} is missing`);
      bytes += Math.max(n, 0);
    }
    const last = marker.upTo ? parseSegment(marker.upTo) : null;
    let segments = 0;
    let whole = true;
    if (last) {
      for (let tl = 2; tl <= last.timeline; tl++) {
        const h = `${tl.toString(16).toUpperCase().padStart(8, "0")}.history`;
        bytes += Math.max(await download(d, `${root}/wal/${h}`, join(walDir, h), o.signal), 0);
      }
      o.log?.(`Fetching WAL from ${d.label} up to ${marker.upTo}`);
      for (let seq = segmentOfLsn(o.base.startLsn); seq <= last.seq; seq++) {
        // the newest timeline first; segments before a switch keep the base backup's
        const names = [...new Set([segmentName(last.timeline, seq), segmentName(o.base.timeline, seq)])];
        let got = -1;
        for (const name of names) {
          got = await download(d, `${root}/wal/${name}`, join(walDir, name), o.signal);
          if (got >= 0) break;
        }
        if (got < 0) {
          o.log?.(`${segmentName(last.timeline, seq)} is not at ${d.label}: recovery ends before it`);
          whole = false;
          break;
        }
        bytes += got;
        segments++;
      }
    }
    const tail = marker.partial ? parseSegment(marker.partial.name) : null;
    const next =
      last && last.seq + 1n > segmentOfLsn(o.base.startLsn) ? last.seq + 1n : segmentOfLsn(o.base.startLsn);
    if (whole && tail && tail.seq === next) {
      const got = await downloadTail(d, root, tail.name, walDir, o.signal);
      if (got?.partial)
        o.log?.(`Using ${tail.name}.partial from ${d.label}: WAL up to ${marker.partial!.at}`);
      if (got) {
        bytes += got.bytes;
        segments++;
      }
    }
    if (process.getuid?.() === 0)
      await runLocal(["chown", "-R", "postgres:postgres", o.into], { what: "chown" });
    return { base: { ...o.base, dir: baseDir }, walDir, cleanup, segments, bytes };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
