/**
 * What a filestore holds, with each file's SHA-256, read on the instance's server through its
 * Connection (local or SSH). Hashing 50 GB every night would cost as much reading as a full tar,
 * so hashes are cached on the odoodeck machine by (path, size, mtime): only new or changed files
 * are hashed again. Odoo never rewrites a filestore file in place, so an unchanged size and mtime
 * means unchanged content; the bytes actually uploaded are hashed again on the way.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Connection } from "../../../server/sdk/index.ts";
import { AppError } from "../../../server/sdk/index.ts";
import type { IndexEntry } from "./layout.ts";

// Fixed scripts; the folder comes in as $1, never pasted into the text.
const LIST = `cd "$1" 2>/dev/null || exit 0; find . -type f -printf '%s %T@ %P\\0'`;
const HASH = `cd "$1" && xargs -0 -r sha256sum --`;
const BATCH = 5000;

interface Listed {
  path: string;
  bytes: number;
  mtime: string;
}

async function listFiles(conn: Connection, dir: string, signal?: AbortSignal): Promise<Listed[]> {
  const r = await conn.exec(["sh", "-c", LIST, "odoodeck-cas-list", dir], { timeoutMs: 600_000, signal });
  if (r.code !== 0)
    throw new AppError("E_COMMAND_FAILED", `Could not list the filestore ${dir} on ${conn.label}`, {
      hint: r.stderr.trim().slice(0, 300),
    });
  const out: Listed[] = [];
  for (const rec of r.stdout.split("\0")) {
    const m = /^(\d+) (\S+) (.+)$/s.exec(rec);
    if (m) out.push({ bytes: Number(m[1]), mtime: m[2], path: m[3] });
  }
  return out;
}

/** sha256sum escapes names holding "\" or a newline and marks such lines with a leading "\". */
function parseSums(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const esc = line.startsWith("\\");
    const r = /^([0-9a-f]{64}) [ *](.*)$/s.exec(esc ? line.slice(1) : line);
    if (!r) continue;
    const name = esc ? r[2].replace(/\\(\\|n)/g, (_, c: string) => (c === "n" ? "\n" : "\\")) : r[2];
    m.set(name, r[1]);
  }
  return m;
}

async function hashFiles(conn: Connection, dir: string, paths: string[], signal?: AbortSignal) {
  const sums = new Map<string, string>();
  for (let i = 0; i < paths.length; i += BATCH) {
    const batch = paths.slice(i, i + BATCH);
    const r = await conn.exec(["sh", "-c", HASH, "odoodeck-cas-hash", dir], {
      stdin: `${batch.join("\0")}\0`,
      timeoutMs: 3_600_000,
      signal,
    });
    if (r.code !== 0)
      throw new AppError("E_COMMAND_FAILED", `Could not hash filestore files in ${dir} on ${conn.label}`, {
        hint: r.stderr.trim().slice(0, 300) || "sha256sum (coreutils) is needed there",
      });
    for (const [k, v] of parseSums(r.stdout)) sums.set(k, v);
  }
  return sums;
}

type Cache = Record<string, string>; // path → "<bytes> <mtime> <sha256>"

async function readCache(path: string): Promise<Cache> {
  try {
    return (await Bun.file(path).json()) as Cache;
  } catch {
    return {};
  }
}

async function writeCache(path: string, c: Cache): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(`${path}.tmp`, JSON.stringify(c), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

/**
 * Every file of the filestore `dir` with its SHA-256. `cachePath`: the hash cache on this
 * machine (one per instance and filestore); null hashes everything.
 */
export async function scanFilestore(
  conn: Connection,
  dir: string,
  cachePath: string | null,
  o: { signal?: AbortSignal; log?: (line: string) => void } = {},
): Promise<{ files: IndexEntry[]; hashed: number }> {
  const listed = await listFiles(conn, dir, o.signal);
  const cache = cachePath ? await readCache(cachePath) : {};
  const known = (f: Listed) => {
    const c = cache[f.path]?.split(" ");
    return c && c[0] === String(f.bytes) && c[1] === f.mtime ? c[2] : null;
  };
  const toHash = listed.filter((f) => !known(f)).map((f) => f.path);
  const sums = toHash.length ? await hashFiles(conn, dir, toHash, o.signal) : new Map<string, string>();
  o.log?.(`${listed.length} files in the filestore, ${toHash.length} hashed, the others known`);
  const next: Cache = {};
  const files = listed.map((f) => {
    const sha256 = known(f) ?? sums.get(f.path);
    if (!sha256)
      throw new AppError("E_COMMAND_FAILED", `${f.path} in ${dir} vanished or could not be hashed`, {
        hint: "A file was removed while the backup ran; run it again",
      });
    next[f.path] = `${f.bytes} ${f.mtime} ${sha256}`;
    return { path: f.path, sha256, bytes: f.bytes };
  });
  if (cachePath) await writeCache(cachePath, next);
  return { files, hashed: toHash.length };
}
