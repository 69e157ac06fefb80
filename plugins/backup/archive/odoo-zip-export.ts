/**
 * An Odoo-compatible backup zip, as Odoo's `/web/database/backup` makes it (odoo/service/db.py
 * dump_db + dump_db_manifest): `dump.sql` from `pg_dump --no-owner`, `manifest.json`, and
 * `filestore/<xx>/<sha1>`. Two writers:
 *  - ZIP_PY, Python's zipfile on the instance's server (where Odoo's python3 is): faster, and the
 *    bytes can go from there straight to the destination;
 *  - `odooZipStream`, in odoodeck, for servers without python3 (e.g. Odoo in a container): pg_dump
 *    and tar run on the server through its Connection; the filestore arrives as one tar stream
 *    whose entries become zip entries one at a time, so memory stays bounded and zip64 (yazl)
 *    lifts the 4 GiB limits.
 */
import { PassThrough, Readable } from "node:stream";
import { once } from "node:events";
import yazl from "yazl";
import type { Connection } from "../../../server/sdk/index.ts";
import { produce } from "./pipeline.ts";
import { readTar } from "./tar-reader.ts";
import { ZIP_PY } from "./odoo-zip-py.ts";
import { isAlreadyCompressed } from "./already-compressed.ts";

export { ZIP_PY };

export interface OdooZipManifest {
  odoo_dump: "1";
  db_name: string;
  version: string;
  version_info: (number | string)[];
  major_version: string;
  pg_version: string;
  modules: Record<string, string>;
}

/** The manifest Odoo writes; the exact build is unknown from the database, so its major is used. */
export function odooZipManifest(
  dbName: string,
  baseVersion: string | null,
  serverVersionNum: number,
  modules: Record<string, string>,
): OdooZipManifest {
  const m = /^(saas~)?(\d+)\.(\d+)/.exec(baseVersion ?? "") ?? [null, "", "17", "0"];
  const major = `${m[1] ?? ""}${m[2]}.${m[3]}`;
  // Odoo: "%d.%d" % divmod(server_version / 100, 100)
  const pgVersion = `${Math.floor(serverVersionNum / 10000)}.${Math.floor(serverVersionNum / 100) % 100}`;
  return {
    odoo_dump: "1",
    db_name: dbName,
    version: major,
    version_info: [Number(m[2]), Number(m[3]), 0, "final", 0, ""],
    major_version: major,
    pg_version: pgVersion,
    modules,
  };
}

/** The producer argv for ZIP_PY (run through \`produce\`/\`produceToFile\`, uncompressed). */
export function odooZipArgv(opts: {
  pgDumpArgv: string[] | null;
  filestoreDir: string | null;
  manifest: OdooZipManifest;
  /** The interpreter (zipPython's answer); default `python3` from the PATH. */
  python?: string;
}): string[] {
  return [
    opts.python ?? "python3",
    "-c",
    ZIP_PY,
    JSON.stringify(opts.manifest, null, 4),
    opts.filestoreDir ?? "",
    ...(opts.pgDumpArgv ? [...opts.pgDumpArgv, "--no-owner", "--format=p"] : []),
  ];
}

// Prints the interpreter's own path when it has zipfile's streaming writer (3.6+).
const FIND_PYTHON =
  "import sys, zipfile; print(sys.executable) if sys.version_info >= (3, 6) else sys.exit(1)";
const PYTHON_TTL_MS = 10 * 60_000;
const NO_PYTHON_TTL_MS = 60_000;
const pythons = new Map<string, { at: number; path: Promise<string | null> }>();

/**
 * The python3 that writes the zip on this server, as the path of the interpreter itself (null:
 * none, or older than 3.6). Looked up once per server for ten minutes (a minute when there is
 * none): \`python3\` may be a launcher — pyenv's shim took 0.5 s per start here, a tenth of a
 * 256 MB backup, and the zip was two starts (this check, then the writer). A remembered path that
 * is gone (a virtualenv removed, python upgraded) is looked up again.
 */
export async function zipPython(conn: Connection): Promise<string | null> {
  const key = `${conn.kind}:${conn.label}`;
  const hit = pythons.get(key);
  if (hit) {
    const ttl = (await hit.path) ? PYTHON_TTL_MS : NO_PYTHON_TTL_MS;
    const path = await hit.path;
    if (Date.now() - hit.at < ttl && (!path || (await conn.stat(path).catch(() => null)))) return path;
    if (pythons.get(key) === hit) pythons.delete(key);
  }
  const again = pythons.get(key);
  if (again) return again.path;
  const path = conn
    .exec(["python3", "-c", FIND_PYTHON], { timeoutMs: 15_000 })
    .then((r) => (r.code === 0 ? r.stdout.trim() || "python3" : null))
    .catch(() => null);
  pythons.set(key, { at: Date.now(), path });
  return path;
}

/** Test hook: what zipPython remembers for this server (a path, or null for "none"). */
export function rememberZipPython(conn: Connection, path: string | null): void {
  pythons.set(`${conn.kind}:${conn.label}`, { at: Date.now(), path: Promise.resolve(path) });
}

const TAR_SCRIPT = `if [ -d "$1" ]; then exec tar -C "$1" -cf - .; else exec tar -cf - -T /dev/null; fi`;

export interface ZipStream {
  stdout: ReadableStream<Uint8Array>;
  finished: Promise<{ files: number; bytes: number }>;
}

export function odooZipStream(
  conn: Connection,
  opts: {
    pgDumpArgv: string[] | null;
    env: Record<string, string>;
    filestoreDir: string | null;
    manifest: OdooZipManifest;
    signal: AbortSignal;
  },
): ZipStream {
  const zip = createZip();
  const level = { compressionLevel: 1 };
  const waits: Promise<void>[] = [];
  if (opts.pgDumpArgv) {
    const dump = produce(conn, [...opts.pgDumpArgv, "--no-owner", "--format=p"], {
      env: opts.env,
      signal: opts.signal,
      compress: false,
      what: "pg_dump (plain SQL)",
    });
    // Readable.from pulls only as yazl reads (backpressure); fromWeb read ahead without bound in Bun.
    zip.addReadStream(Readable.from(dump.stdout, { objectMode: false }), "dump.sql", level);
    waits.push(dump.finished);
  }
  zip.addBuffer(Buffer.from(JSON.stringify(opts.manifest, null, 4)), "manifest.json", level);
  const stats = { files: 0, bytes: 0 };
  const filestore = (async () => {
    if (opts.filestoreDir) {
      const tar = produce(conn, ["sh", "-c", TAR_SCRIPT, "odoodeck-tar", opts.filestoreDir], {
        signal: opts.signal,
        compress: false,
        what: "tar of the filestore",
      });
      await readTar(tar.stdout, async (e, data) => {
        const pt = new PassThrough({ highWaterMark: 1024 * 1024 });
        const first = await data.next();
        // Already compressed (images, office files, archives): stored, as the python writer does.
        const compressionLevel = !first.done && isAlreadyCompressed(first.value) ? 0 : 1;
        zip.addReadStream(pt, `filestore/${e.path}`, { compressionLevel, mtime: new Date(e.mtime * 1000) });
        for (let r = first; !r.done; r = await data.next()) if (!pt.write(r.value)) await once(pt, "drain");
        pt.end();
        // Wait until yazl has read this entry: otherwise small files pile up in memory while
        // yazl is still busy with dump.sql (1.3 GB RSS for a 1 GB filestore).
        await once(pt, "end");
        stats.files++;
        stats.bytes += e.size;
      });
      await tar.finished;
    }
    zip.end();
  })();
  waits.push(filestore);
  const finished = Promise.all(waits).then(() => stats);
  const out = zip.outputStream as unknown as Readable;
  // A failed producer must end the zip with an error, never as a short but valid-looking file.
  finished.catch((e) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  return { stdout: pullStream(out), finished };
}

/** yazl's zip writer (zip64 when needed), shared by the writers in odoodeck. */
export function createZip(): yazl.ZipFile {
  return new yazl.ZipFile();
}

/**
 * Pull-based bridge from a zip's output: the next chunk is read only when the reader asked for
 * it. `onCancel` runs when the reader goes away (the writer's inputs are then stopped there).
 */
export function pullStream(out: Readable, onCancel?: () => void): ReadableStream<Uint8Array> {
  const it = out[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        const r = await it.next();
        if (r.done) c.close();
        else c.enqueue(r.value as Uint8Array);
      },
      async cancel(reason) {
        onCancel?.();
        out.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
