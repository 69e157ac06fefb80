/**
 * Restoring a backup that has no copy on the odoodeck machine: fetch it from a destination that
 * holds it (S3, or a folder on a server through its Connection) into a staging folder in the data
 * dir, streamed (flat memory), each part's size and SHA-256 checked against what the backup
 * recorded when it was made. A copy that does not match is E_BACKUP_CORRUPT and the next copy is
 * tried; the staging folder is removed when the restore ends, whatever the outcome. A copy proven
 * bad that way is reported through `onBadCopy`, so the backup record says so (as a verify would)
 * and the next restore or restore test does not pick it again.
 *
 * The routes resolve a request before the operation starts, but a download belongs inside the
 * operation (progress, cancel): `deferStaging` hands out the staging path at once and
 * `materializeSource`, called by restoreToTemp, does the fetch when the restore runs.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm, statfs } from "node:fs/promises";
import { join } from "node:path";
import { AppError, toAppError } from "../../../server/sdk/index.ts";
import { LocalDestination } from "../destinations/local.ts";
import type { Destination } from "../destinations/types.ts";
import { fetchObjects } from "../filestore-store/fetch.ts";
import { PART_FILESTORE_INDEX, parseIndex } from "../filestore-store/layout.ts";
import { isCas } from "../filestore-store/read-index.ts";
import { MANIFEST_FILE, type ManifestPart, validateManifest } from "../archive/format.ts";
import type { BackupRecord } from "../store.ts";

export interface StagedBackup {
  /** The native folder or zip file, on this machine. */
  path: string;
  /** The destination it came from (null: it was on this machine already). */
  from: string | null;
  /** Removes the staged copy (a no-op for a copy that was already local). */
  release(): Promise<void>;
}

export interface StageOptions {
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Bytes fetched so far, of the backup's total. */
  progress?: (done: number, total: number) => void;
  /** A destination's copy was proven bad (a part or the manifest does not match, or is gone). */
  onBadCopy?: (destination: string, verify: BadCopy, reason: string) => Promise<void>;
}

export type BadCopy = "corrupt" | "missing";

const MANIFEST_MAX = 4 * 1024 * 1024;

export function stagingRoot(dataDir: string): string {
  return join(dataDir, "restore-staging");
}

/** A copy of `b` on this machine, or null when it only lives elsewhere. */
export function localCopy(b: BackupRecord): string | null {
  const d = b.destinations.find(
    (x) => x.status === "ok" && x.verify !== "corrupt" && x.path.startsWith("/") && existsSync(x.path),
  );
  return d?.path ?? null;
}

/** Destinations holding a published copy that was not found bad, local ones excluded. */
export function remoteCopies(b: BackupRecord): string[] {
  return b.destinations
    .filter((x) => x.status === "ok" && x.verify !== "corrupt" && x.verify !== "missing")
    .filter((x) => !(x.path.startsWith("/") && existsSync(x.path)))
    .map((x) => x.id);
}

/** `verify`: what this says about the copy at the destination (null: the record itself is lacking). */
const corrupt = (msg: string, verify: BadCopy | null = "corrupt") =>
  new AppError("E_BACKUP_CORRUPT", msg, {
    hint: "The copy at that destination was damaged or changed after it was made; nothing was restored from it",
    details: { verify },
  });

/** Streams one stored file to `dir/rel`, hashing on the way; checks it against the record. */
async function fetchPart(
  d: Destination,
  rel: string,
  into: LocalDestination,
  part: Pick<ManifestPart, "name" | "bytes" | "sha256">,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const h = createHash("sha256");
  let bytes = 0;
  const tap = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      h.update(chunk);
      bytes += chunk.byteLength;
      onBytes(chunk.byteLength);
      c.enqueue(chunk);
    },
  });
  try {
    await into.write(rel, d.read(rel).pipeThrough(tap), signal);
  } catch (e) {
    const err = toAppError(e);
    if (err.code === "E_CANCELLED" || err.code === "E_DISK_FULL") throw err;
    throw new AppError("E_UNREACHABLE", `Could not read ${rel} from ${d.label}: ${err.message}`, {
      hint: err.hint,
    });
  }
  if (bytes !== part.bytes) {
    // A transfer cut short says nothing about the copy: only a stored size that differs does.
    if ((await d.size(rel).catch(() => null)) === part.bytes)
      throw new AppError(
        "E_UNREACHABLE",
        `The transfer of ${rel} from ${d.label} ended after ${bytes} of ${part.bytes} bytes`,
      );
    throw corrupt(`${part.name} at ${d.label} has ${bytes} bytes, the backup recorded ${part.bytes}`);
  }
  if (h.digest("hex") !== part.sha256) throw corrupt(`${part.name} at ${d.label} does not match its SHA-256`);
}

async function fetchFrom(b: BackupRecord, d: Destination, dir: string, o: StageOptions): Promise<void> {
  const parts = b.manifest?.parts ?? [];
  if (!parts.length) throw corrupt(`Backup ${b.name} has no recorded parts to check a copy against`, null);
  const total = parts.reduce((n, p) => n + p.bytes, 0);
  let done = 0;
  const onBytes = (n: number) => {
    done += n;
    o.progress?.(done, total);
  };
  const into = new LocalDestination(dir, "staging");
  if (b.format === "zip") {
    await fetchPart(d, b.name, into, { ...parts[0], name: b.name }, onBytes, o.signal);
    return;
  }
  const size = await d.size(`${b.name}/${MANIFEST_FILE}`);
  if (size === null) throw corrupt(`${b.name}/${MANIFEST_FILE} is missing at ${d.label}`, "missing");
  if (size > MANIFEST_MAX) throw corrupt(`${b.name}/${MANIFEST_FILE} at ${d.label} is ${size} bytes`);
  const text = await new Response(d.read(`${b.name}/${MANIFEST_FILE}`)).text();
  let stored: ReturnType<typeof validateManifest>;
  try {
    stored = validateManifest(JSON.parse(text));
  } catch (e) {
    throw corrupt(`${MANIFEST_FILE} at ${d.label} cannot be read (${(e as Error).message})`);
  }
  for (const p of parts) {
    const q = stored.parts.find((x) => x.name === p.name);
    if (!q || q.sha256 !== p.sha256 || q.bytes !== p.bytes)
      throw corrupt(`${MANIFEST_FILE} at ${d.label} disagrees with the backup's record for ${p.name}`);
  }
  for (const p of parts) await fetchPart(d, `${b.name}/${p.name}`, into, p, onBytes, o.signal);
  await into.write(`${b.name}/${MANIFEST_FILE}`, new Blob([text]).stream() as ReadableStream<Uint8Array>);
  // A CAS backup: its objects, beside it as at the destination (restore reads them there).
  if (isCas(stored)) {
    const index = parseIndex(await Bun.file(join(dir, b.name, PART_FILESTORE_INDEX)).text());
    await fetchObjects(d, index, dir, { signal: o.signal, onBytes });
  }
}

/** Refuses up front when the staging disk cannot hold the backup (instead of failing half-way). */
async function checkSpace(root: string, need: number): Promise<void> {
  const s = await statfs(root).catch(() => null);
  if (s && s.bavail * s.bsize < need)
    throw new AppError(
      "E_DISK_FULL",
      `The backup needs ${need} bytes of staging space in ${root}; ${s.bavail * s.bsize} are free`,
      { hint: "Free space in odoodeck's data dir, or restore from a copy on this machine" },
    );
}

/**
 * Fetches `b` into `dir` (created here, removed on failure) from the first destination whose copy
 * checks out; E_BACKUP_CORRUPT when every copy is bad.
 */
export async function stageBackupInto(
  b: BackupRecord,
  dir: string,
  resolve: (id: string) => Promise<Destination>,
  o: StageOptions = {},
): Promise<StagedBackup> {
  const ids = remoteCopies(b);
  if (b.status !== "ok" || !ids.length)
    throw new AppError("E_NOT_FOUND", `Backup ${b.name} has no published copy to restore from`, {
      hint: "Verify the backup to see what happened at each destination",
    });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const release = () => rm(dir, { recursive: true, force: true });
  const errors: AppError[] = [];
  try {
    await checkSpace(dir, b.bytes + (isCas(b.manifest) ? (b.manifest?.filestore.bytes ?? 0) : 0));
    for (const id of ids) {
      try {
        const d = await resolve(id);
        o.log?.(`Fetching ${b.name} from ${d.label}`);
        await fetchFrom(b, d, dir, o);
        o.log?.(`Fetched ${b.name} from ${d.label}: every part matches its SHA-256`);
        return { path: join(dir, b.name), from: id, release };
      } catch (e) {
        const err = toAppError(e);
        if (err.code === "E_CANCELLED" || err.code === "E_DISK_FULL" || o.signal?.aborted) throw err;
        o.log?.(`${id}: ${err.message}`);
        errors.push(err);
        const verify = (err.details as { verify?: BadCopy | null } | undefined)?.verify;
        if (err.code === "E_BACKUP_CORRUPT" && verify && o.onBadCopy)
          await o.onBadCopy(id, verify, err.message).then(
            () => o.log?.(`${id}: the copy there is now marked ${verify}`),
            (e) => o.log?.(`${id}: could not mark the copy ${verify}: ${toAppError(e).message}`),
          );
        await rm(join(dir, b.name), { recursive: true, force: true });
      }
    }
    throw errors.find((e) => e.code === "E_BACKUP_CORRUPT") ?? errors[0];
  } catch (e) {
    await release();
    throw e;
  }
}

/** Fetches into a fresh folder under `<dataDir>/restore-staging/`. */
export function stageBackup(
  dataDir: string,
  b: BackupRecord,
  resolve: (id: string) => Promise<Destination>,
  o: StageOptions = {},
): Promise<StagedBackup> {
  return stageBackupInto(b, join(stagingRoot(dataDir), randomUUID()), resolve, o);
}

// ---- deferred staging for restores resolved before their operation runs ----

const pending = new Map<string, (o: StageOptions) => Promise<StagedBackup>>();
const FORGET_AFTER_MS = 6 * 3600_000;

/**
 * Returns the path `b` will have once fetched; the fetch happens when a restore calls
 * `materializeSource` on that path (a request that never runs is forgotten after a while).
 */
export function deferStaging(
  dataDir: string,
  b: BackupRecord,
  resolve: (id: string) => Promise<Destination>,
  onBadCopy?: StageOptions["onBadCopy"],
): string {
  if (!remoteCopies(b).length)
    throw new AppError("E_NOT_FOUND", `Backup ${b.name} has no good copy at any destination`, {
      hint: "Verify the backup to see what happened at each destination",
    });
  const dir = join(stagingRoot(dataDir), randomUUID());
  const path = join(dir, b.name);
  pending.set(path, (o) => stageBackupInto(b, dir, resolve, { onBadCopy, ...o }));
  setTimeout(() => pending.delete(path), FORGET_AFTER_MS).unref?.();
  return path;
}

/** The backup at `source`, fetched first when it was deferred; `release` removes what was fetched. */
export async function materializeSource(source: string, o: StageOptions = {}): Promise<StagedBackup> {
  const fetch = pending.get(source);
  if (!fetch) return { path: source, from: null, release: async () => {} };
  pending.delete(source);
  return fetch(o);
}
