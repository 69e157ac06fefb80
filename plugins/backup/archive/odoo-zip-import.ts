/**
 * Odoo's own backup zip (`/web/database/backup`, format zip): `dump.sql` (plain SQL), `filestore/`,
 * `manifest.json`. Opening reads the central directory (a truncated zip has none) and the head of
 * dump.sql (pg_dump version, extensions); importing streams dump.sql into psql and the filestore
 * entries onto the target, never holding a whole entry in memory.
 */
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import yauzl from "yauzl";
import type { Connection } from "../../../server/sdk/index.ts";
import { AppError } from "../../../server/sdk/index.ts";
import { counter } from "../restore/restore-files.ts";
import { allOrAbort } from "../restore/restore-concurrent.ts";
import { type PgTarget, pgArgs, pgEnv, runTool } from "../restore/restore-pg.ts";
import { tarStream } from "./tar-writer.ts";

export interface OdooZipManifest {
  db_name?: string;
  version?: string;
  pg_version?: string;
  modules?: Record<string, string>;
}

export interface OdooZip {
  path: string;
  entries: yauzl.Entry[];
  dump: yauzl.Entry;
  manifest: OdooZipManifest | null;
  pgDumpMajor: number | null;
  /** Extensions dump.sql creates (CREATE EXTENSION lines in its head). */
  extensions: string[];
  filestoreFiles: yauzl.Entry[];
  close(): void;
}

const HEAD_BYTES = 256 * 1024;

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (e, z) => (e ? rej(e) : res(z))),
  );
}

function readEntries(z: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((res, rej) => {
    const out: yauzl.Entry[] = [];
    z.on("entry", (e: yauzl.Entry) => {
      out.push(e);
      z.readEntry();
    });
    z.on("end", () => res(out));
    z.on("error", rej);
    z.readEntry();
  });
}

function entryStream(z: yauzl.ZipFile, e: yauzl.Entry): Promise<ReadableStream<Uint8Array>> {
  return new Promise((res, rej) =>
    z.openReadStream(e, (err, s) =>
      err ? rej(err) : res(Readable.toWeb(s) as unknown as ReadableStream<Uint8Array>),
    ),
  );
}

const badEntry = (name: string, why: string) =>
  new AppError("E_BACKUP_CORRUPT", `The backup is corrupt: ${name} ${why}`, {
    hint: "The zip was damaged after it was made (`unzip -t` shows it); pick another backup",
  });

/**
 * Reads every entry through and compares its CRC-32 with the zip's record: yauzl checks sizes but
 * not CRCs, so an altered byte in dump.sql would otherwise be restored silently. Done on opening,
 * before anything is created from the zip.
 */
async function checkEntries(z: yauzl.ZipFile, entries: yauzl.Entry[]): Promise<void> {
  for (const e of entries) {
    if (e.fileName.endsWith("/")) continue;
    let crc = 0;
    try {
      const s = await new Promise<Readable>((res, rej) =>
        z.openReadStream(e, (err, st) => (err ? rej(err) : res(st))),
      );
      for await (const chunk of s) crc = crc32(chunk as Buffer, crc);
    } catch (err) {
      throw badEntry(e.fileName, `cannot be read (${(err as Error).message})`);
    }
    if (crc >>> 0 !== e.crc32 >>> 0) throw badEntry(e.fileName, "does not match its CRC-32");
  }
}

async function readHead(z: yauzl.ZipFile, e: yauzl.Entry, max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = (await entryStream(z, e)).getReader();
  while (n < max) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}

/** A filestore entry's path below `filestore/`, or null when it is a directory or unsafe. */
export function filestoreRelPath(name: string): string | null {
  if (!name.startsWith("filestore/") || name.endsWith("/")) return null;
  const rel = name.slice("filestore/".length);
  if (!rel || rel.includes("\\") || rel.split("/").some((s) => s === ".." || s === "." || s === ""))
    return null;
  return rel;
}

export async function openOdooZip(path: string): Promise<OdooZip> {
  const z = await openZip(path);
  try {
    const entries = await readEntries(z);
    await checkEntries(z, entries);
    const dump = entries.find((e) => e.fileName === "dump.sql");
    if (!dump) throw new Error("dump.sql is missing (a filestore-only or non-Odoo zip?)");
    const man = entries.find((e) => e.fileName === "manifest.json");
    const manifest = man ? (JSON.parse(await readHead(z, man, 1 << 20)) as OdooZipManifest) : null;
    const head = await readHead(z, dump, HEAD_BYTES);
    const ver = /^-- Dumped by pg_dump version (\d+)/m.exec(head);
    const extensions = [...head.matchAll(/^CREATE EXTENSION IF NOT EXISTS "?(\w+)"?/gm)].map((m) => m[1]);
    const filestoreFiles = entries.filter((e) => filestoreRelPath(e.fileName) !== null);
    return {
      path,
      entries,
      dump,
      manifest,
      pgDumpMajor: ver ? Number(ver[1]) : null,
      extensions,
      filestoreFiles,
      close: () => z.close(),
    };
  } catch (e) {
    z.close();
    throw e;
  }
}

/**
 * Drops `COMMENT ON EXTENSION` statements from the head of a plain dump: only the extension's
 * owner may run them, so a non-superuser restore would stop there. Everything after the head
 * passes through untouched, byte for byte.
 */
export function stripExtensionComments(
  onBytes?: (n: number) => void,
): TransformStream<Uint8Array, Uint8Array> {
  let head: Uint8Array[] = [];
  let headBytes = 0;
  let passing = false;
  const flushHead = (c: TransformStreamDefaultController<Uint8Array>, final: boolean) => {
    const buf = Buffer.concat(head);
    head = [];
    const cut = final ? buf.length : buf.lastIndexOf(10) + 1;
    const text = buf.subarray(0, cut).toString("utf8");
    c.enqueue(new TextEncoder().encode(text.replace(/^COMMENT ON EXTENSION [^\n]*;\n/gm, "")));
    if (cut < buf.length) c.enqueue(buf.subarray(cut));
    passing = true;
  };
  return new TransformStream({
    transform(chunk, c) {
      onBytes?.(chunk.byteLength);
      if (passing) return c.enqueue(chunk);
      head.push(chunk);
      headBytes += chunk.byteLength;
      if (headBytes >= HEAD_BYTES) flushHead(c, false);
    },
    flush(c) {
      if (!passing) flushHead(c, true);
    },
  });
}

export interface ZipImportOptions {
  conn: Connection;
  target: PgTarget;
  zip: OdooZip;
  /** The (already created, empty) database to load dump.sql into. */
  dbName: string;
  /** The (already created) filestore folder to fill; null for a database-only restore. */
  filestoreDir: string | null;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}

/** Loads dump.sql and the filestore concurrently; the first failure stops the import. */
export async function importOdooZip(o: ZipImportOptions): Promise<{ files: number }> {
  const z = await openZip(o.zip.path);
  try {
    const loadSql = async (signal: AbortSignal) => {
      const sql = (await entryStream(z, o.zip.dump)).pipeThrough(stripExtensionComments(o.onBytes));
      const argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", ...pgArgs(o.target), "-d", o.dbName];
      await runTool(o.conn, [...argv, "-o", "/dev/null", "-f", "-"], {
        env: pgEnv(o.target),
        stdin: sql,
        signal,
        what: "Loading dump.sql",
      });
    };
    const dir = o.filestoreDir;
    let files = 0;
    const loadFiles = async (signal: AbortSignal) => {
      if (dir) files = await extractFiles(z, { ...o, signal }, dir);
    };
    await allOrAbort(o.signal, [loadSql, loadFiles]);
    return { files };
  } finally {
    z.close();
  }
}

/**
 * Writes the filestore entries onto the target. The usual way is ONE `tar -x` on the target fed
 * with a tar stream built from the zip entries on the fly: one process and one stream however
 * many files there are, which over SSH is the difference between one round trip and one per
 * file (20k attachments). Names tar's header cannot hold fall back to writing file by file.
 */
async function extractFiles(z: yauzl.ZipFile, o: ZipImportOptions, dir: string): Promise<number> {
  const entries = o.zip.filestoreFiles;
  const enc = new TextEncoder();
  if (entries.every((e) => enc.encode(filestoreRelPath(e.fileName)!).byteLength <= 100)) {
    const body = tarStream(
      entries.map((e) => ({
        path: filestoreRelPath(e.fileName)!,
        size: e.uncompressedSize,
        open: () => lazyStream(() => entryStream(z, e)),
      })),
    ).pipeThrough(counter(o.onBytes));
    await runTool(o.conn, ["tar", "--no-same-owner", "-xf", "-", "-C", dir], {
      stdin: body,
      signal: o.signal,
      what: "Extracting the filestore",
    });
    return entries.length;
  }
  const dirs = new Set<string>();
  for (const e of entries) {
    const rel = filestoreRelPath(e.fileName)!;
    const i = rel.lastIndexOf("/");
    if (i > 0) dirs.add(rel.slice(0, i));
  }
  for (const d of dirs) await o.conn.mkdir(`${dir}/${d}`, { recursive: true });
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      if (o.signal?.aborted) throw new AppError("E_CANCELLED");
      const e = entries[next++];
      const body = (await entryStream(z, e)).pipeThrough(counter(o.onBytes));
      await o.conn.writeFile(`${dir}/${filestoreRelPath(e.fileName)}`, body, { atomic: false, mode: 0o644 });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return entries.length;
}

/** A stream that opens its source on first read (tar entries are opened one after the other). */
function lazyStream(open: () => Promise<ReadableStream<Uint8Array>>): ReadableStream<Uint8Array> {
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      reader ??= (await open()).getReader();
      const r = await reader.read();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    async cancel(why) {
      await reader?.cancel(why);
    },
  });
}
