/**
 * Odoo's zip made from a native backup, for a download: dump.sql from the backup's `db.dump.zst`
 * (zstd and `pg_restore --no-owner -f -` on the odoodeck machine: the plain SQL Odoo's
 * `pg_dump --no-owner` writes), manifest.json as Odoo writes it, and `filestore/<xx>/<sha1>` read
 * from the destination: the CAS objects the backup's index lists, or its filestore tar.
 *
 * Nothing is trusted on the way: the dump part is hashed against the backup's record and every
 * object against its name. Objects the index lists but the store lacks are found before the first
 * byte (E_BACKUP_CORRUPT naming them); a mismatch found while streaming ends the zip with that
 * error before its central directory, so what was sent is never a zip that opens.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { PassThrough, Readable } from "node:stream";
import { AppError, toAppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { objectRel } from "../filestore-store/layout.ts";
import { listObjects } from "../filestore-store/listing.ts";
import { isCas, readIndexAt } from "../filestore-store/read-index.ts";
import { isAlreadyCompressed } from "./already-compressed.ts";
import { digest } from "./fanout.ts";
import type { BackupManifest, ManifestPart } from "./format.ts";
import { ModuleVersionScanner } from "./module-versions.ts";
import { createZip, odooZipManifest, pullStream, type ZipStream } from "./odoo-zip-export.ts";
import { mapFailure } from "./pipeline.ts";
import { readTar } from "./tar-reader.ts";

const corrupt = (msg: string) =>
  new AppError("E_BACKUP_CORRUPT", msg, {
    hint: "Run the backup's verify: its files at that destination were damaged or removed",
  });

/** db.dump.zst → the plain SQL of Odoo's `pg_dump --no-owner`. */
const TO_SQL = [
  ["zstd", "-dcq"],
  ["pg_restore", "--no-owner", "-f", "-"],
];
const UNZSTD = [["zstd", "-dcq"]];

/** Passes bytes through, failing at the end when they do not hash to `sha256`. */
function checked(sha256: string, bytes: number | null, what: () => AppError) {
  const h = createHash("sha256");
  let n = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      h.update(chunk);
      n += chunk.byteLength;
      c.enqueue(chunk);
    },
    flush(c) {
      if (h.digest("hex") !== sha256 || (bytes !== null && n !== bytes)) c.error(what());
    },
  });
}

/**
 * Tools on this machine piped one into the next (argument arrays, no shell), `input` into the
 * first; the last one's stdout streamed. Each is a process of its own, so a cancel kills them all.
 */
function runLocal(stages: string[][], input: ReadableStream<Uint8Array>, what: string, signal?: AbortSignal) {
  const procs: Bun.Subprocess<ReadableStream<Uint8Array>, "pipe", "pipe">[] = [];
  let stdin: ReadableStream<Uint8Array> = input;
  for (const argv of stages) {
    const p = Bun.spawn(argv, {
      stdin,
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, LC_ALL: "C" },
    });
    procs.push(p);
    stdin = p.stdout as ReadableStream<Uint8Array>;
  }
  const kill = () => {
    for (const p of procs) p.kill("SIGKILL");
  };
  signal?.addEventListener("abort", kill, { once: true });
  const finished = (async () => {
    const ends = await Promise.all(
      procs.map(async (p) => {
        const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
        return { code, err, sigpipe: p.signalCode === "SIGPIPE" || code === 141 };
      }),
    );
    signal?.removeEventListener("abort", kill);
    if (signal?.aborted) throw new AppError("E_CANCELLED", `${what} was cancelled`);
    // A stage killed by SIGPIPE only says that the next one stopped: that one tells why.
    const failed = ends.filter((e) => e.code !== 0);
    const bad = failed.find((e) => !e.sigpipe) ?? failed[0];
    if (bad) throw mapFailure(what, bad.err, bad.code);
  })();
  finished.catch(() => {});
  return { stdout: stdin, finished, kill };
}

export interface NativeZipInput {
  /** The backup's folder name at the destination. */
  name: string;
  /** The manifest the backup recorded when it was made (the parts' hashes are checked against it). */
  manifest: BackupManifest;
  dest: Destination;
  signal?: AbortSignal;
}

/** Checks what can be checked before a byte is sent; then streams the zip. */
export async function odooZipFromNative(i: NativeZipInput): Promise<ZipStream> {
  const { name, manifest: m, dest: d } = i;
  // Ends the tools and the loops when the caller cancels or the reader goes away mid-download.
  const ac = new AbortController();
  i.signal?.addEventListener("abort", () => ac.abort(), { once: true });
  const signal = ac.signal;
  const dbPart = m.parts.find((p) => p.contains === "pg_dump-custom");
  if (!dbPart)
    throw new AppError("E_VALIDATION", `${name} holds no database: Odoo's zip needs its dump.sql`, {
      hint: "Download it as it is, or make a full backup",
    });
  const rel = (p: ManifestPart) => `${name}/${p.name}`;
  if ((await d.size(rel(dbPart))) === null) throw corrupt(`${rel(dbPart)} is missing at ${d.label}`);
  const files = await filestoreSource({ ...i, signal });
  const at = new Date(m.createdAt);

  const zip = createZip();
  const out = zip.outputStream as unknown as Readable;
  const stats = { files: 0, bytes: 0 };
  const run = (async () => {
    // A damaged dump part shows as zstd or pg_restore failing too: the hash's verdict wins.
    let damaged: AppError | null = null;
    const src = d.read(rel(dbPart)).pipeThrough(
      checked(dbPart.sha256, dbPart.bytes, () => {
        damaged = corrupt(`${rel(dbPart)} at ${d.label} does not match the SHA-256 the backup recorded`);
        return damaged;
      }),
    );
    const sql = runLocal(TO_SQL, src, "pg_restore (dump.sql)", signal);
    const scan = new ModuleVersionScanner();
    const tap = sql.stdout.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          scan.push(chunk);
          c.enqueue(chunk);
        },
      }),
    );
    const dump = Readable.from(tap, { objectMode: false });
    zip.addReadStream(dump, "dump.sql", { compressionLevel: 1, mtime: at });
    await once(dump, "end", { signal });
    await sql.finished.catch(async (e) => {
      // zstd or pg_restore may stop before the hash is complete: read the part again to judge.
      if (damaged) throw damaged;
      const again = await digest(d.read(rel(dbPart))).catch(() => null);
      if (again && again.sha256 !== dbPart.sha256)
        throw corrupt(`${rel(dbPart)} at ${d.label} does not match the SHA-256 the backup recorded`);
      throw e;
    });
    if (damaged) throw damaged;
    const modules = scan.result ?? Object.fromEntries(m.odoo.modules.map((n) => [n, ""]));
    const serverVersion = Number(m.postgres.serverVersion) || 0;
    const man = odooZipManifest(m.source.dbName, m.odoo.version, serverVersion, modules);
    zip.addBuffer(Buffer.from(JSON.stringify(man, null, 4)), "manifest.json", { mtime: at });
    await files(async (path, bytes, data) => {
      const it = data[Symbol.asyncIterator]();
      const first = await it.next();
      const head = first.done ? new Uint8Array() : first.value;
      const pt = new PassThrough({ highWaterMark: 1 << 20 });
      // Level 0: ZIP_STORED, for what deflate cannot shrink (images, office files, archives).
      const compressionLevel = isAlreadyCompressed(head) ? 0 : 1;
      zip.addReadStream(pt, `filestore/${path}`, { compressionLevel, mtime: at });
      for (let r = first; !r.done; r = await it.next())
        if (!pt.write(r.value)) await once(pt, "drain", { signal });
      pt.end();
      await once(pt, "end", { signal }); // yazl has read it: one file in memory at a time
      stats.files++;
      stats.bytes += bytes;
    });
    zip.end();
  })();
  const finished = run.then(
    () => stats,
    (e) => {
      throw signal.aborted ? new AppError("E_CANCELLED", "The download was cancelled") : e;
    },
  );
  // A failure must end the zip with an error, never as a short but valid-looking file.
  finished.catch((e) => {
    out.destroy(toAppError(e));
  });
  const stdout = pullStream(out, () => ac.abort());
  return { stdout, finished };
}

type EachFile = (path: string, bytes: number, data: AsyncIterable<Uint8Array>) => Promise<void>;

/** The backup's filestore, file by file: CAS objects (checked present first) or its tar part. */
async function filestoreSource(i: NativeZipInput): Promise<(each: EachFile) => Promise<void>> {
  const { name, manifest: m, dest: d } = i;
  if (isCas(m)) {
    const index = await readIndexAt(d, name);
    const have = await listObjects(d);
    const missing = index.files.filter((f) => !have.has(f.sha256));
    if (missing.length)
      throw corrupt(
        `Filestore object ${missing[0].sha256} (for ${missing[0].path}) is missing at ${d.label}` +
          (missing.length > 1 ? `, and ${missing.length - 1} more` : ""),
      );
    const files = [...index.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return async (each) => {
      for (const f of files) {
        if (i.signal?.aborted) throw new AppError("E_CANCELLED", "The download was cancelled");
        const data = d
          .read(objectRel(f.sha256))
          .pipeThrough(
            checked(f.sha256, f.bytes, () =>
              corrupt(
                `Filestore object ${f.sha256} (for ${f.path}) at ${d.label} does not match its SHA-256`,
              ),
            ),
          );
        await each(f.path, f.bytes, data).catch((e) => {
          const err = toAppError(e);
          throw err.code === "E_FILE_NOT_FOUND" || /ENOENT/.test(err.message)
            ? corrupt(`Filestore object ${f.sha256} (for ${f.path}) is missing at ${d.label}`)
            : err;
        });
      }
    };
  }
  const tarPart = m.parts.find((p) => p.contains === "filestore-tar");
  if (!tarPart) return async () => {};
  const rel = `${name}/${tarPart.name}`;
  if ((await d.size(rel)) === null) throw corrupt(`${rel} is missing at ${d.label}`);
  return async (each) => {
    const src = d
      .read(rel)
      .pipeThrough(
        checked(tarPart.sha256, tarPart.bytes, () =>
          corrupt(`${rel} at ${d.label} does not match the SHA-256 the backup recorded`),
        ),
      );
    const tar = runLocal(UNZSTD, src, "zstd (filestore.tar.zst)", i.signal);
    await readTar(tar.stdout, (e, data) => each(e.path, e.size, data));
    await tar.finished;
  };
}
