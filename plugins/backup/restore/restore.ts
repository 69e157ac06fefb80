/**
 * Restore a backup (native folder or Odoo zip on the odoodeck machine) into a TEMPORARY database
 * `<db>__restore_<ts>` and filestore folder on the target, then verify it. Nothing live is
 * touched: the archive is checked in full first, and any failure drops the temporary copy.
 * `restoreToNewDatabase` then publishes the copy under a new name; swap.ts puts it in place of an
 * instance's database.
 */
import { AppError, type Connection, odoo, toAppError } from "../../../server/sdk/index.ts";
import { PART_FILESTORE_INDEX, parseIndex } from "../filestore-store/layout.ts";
import { materializeFilestore, storeRootOf } from "../filestore-store/materialize.ts";
import { PART_FILESTORE } from "../archive/format.ts";
import { importOdooZip } from "../archive/odoo-zip-import.ts";
import { type ArchiveInfo, checkPartHashes, inspectArchive, type StreamedDump } from "./restore-archive.ts";
import { allOrAbort } from "./restore-concurrent.ts";
import { chownTree, extractTarZst, serviceOwner } from "./restore-files.ts";
import { type FinishOptions, finishRestore } from "./restore-finish.ts";
import { extensionError, pgRestoreNative, prepareNativeDump } from "./restore-native.ts";
import { materializeSource } from "./restore-staging.ts";
import {
  compactStamp,
  createDatabase,
  databaseExists,
  dropDatabase,
  fitName,
  maintenanceDb,
  type PgTarget,
  pgRestoreFile,
  pgRestoreStream,
  uncreatableExtensions,
} from "./restore-pg.ts";
import { type RestoreCheck, verifyRestoredCopy } from "./restore-verify.ts";

export interface RestoreTarget {
  /** The server holding PostgreSQL's client tools and the filestore. */
  conn: Connection;
  pg: PgTarget;
  /** `<data_dir>/filestore`: the folder of per-database filestores (renames stay on one filesystem). */
  filestoreRoot: string;
}

export interface RestoreProgress {
  phase: "fetch" | "validate" | "restore" | "verify" | "neutralize" | "swap";
  bytesDone?: number;
  bytesTotal?: number;
}

export interface RestoreOptions extends RestoreTarget {
  /**
   * Native `<name>.odoodeck/` folder or Odoo zip, on the odoodeck machine (or a path handed out
   * by `deferStaging`: the backup is fetched from its destination first, then removed); or a
   * dump streamed from a command on this machine (a point-in-time restore's scratch cluster).
   */
  source: string | StreamedDump;
  /** The database the copy is for (names the temporary copy). */
  dbName: string;
  signal?: AbortSignal;
  progress?: (p: RestoreProgress) => void;
  log?: (line: string) => void;
  /** false: skip the built-in checks (a restore test runs and reports its own). Default true. */
  verify?: boolean;
}

/** A verified copy under temporary names, not yet live. */
export interface TempCopy extends RestoreTarget {
  tempDb: string | null;
  tempFilestore: string | null;
  archive?: ArchiveInfo;
  check: RestoreCheck | null;
  seconds: number;
}

/**
 * pg_restore's session settings for a streamed load into the temporary database, which is
 * verified before it goes live and dropped on any failure. synchronous_commit=off: one job commits
 * each of Odoo's thousands of TOC entries alone, each waiting for its WAL flush; without the wait
 * the Odoo fixture restored in 0.72-0.82× the time into a cluster with default durability
 * (bench/pitr-restore-settings.ts). Nothing is at risk: a crash loses at most the temporary copy's
 * last commits (the restore then fails), and the swap's own synchronous commit flushes all WAL
 * before it, so the copy is durable before it is live. maintenance_work_mem=512MB measured 1.00×
 * there and within noise in bench/pitr.ts, and would take that memory on a small server: not set.
 */
export const TEMP_DB_SETTINGS: string[] = ["synchronous_commit=off"];

const LINK_ERRORS = new Set(["E_CONNECTION_LOST", "E_UNREACHABLE", "E_TIMEOUT", "E_DB_UNREACHABLE"]);

/**
 * Runs a clean-up step, again and again while the failure is the link (an SSH drop is often what
 * failed the restore in the first place; the pool reconnects on the next call): about 15 s in all.
 * Returns the last error, or null once it worked.
 */
async function cleanUp(step: () => Promise<unknown>): Promise<unknown | null> {
  let last: unknown = null;
  for (const wait of [0, 250, 500, 1000, 2000, 4000, 8000]) {
    if (wait) await Bun.sleep(wait);
    try {
      await step();
      return null;
    } catch (e) {
      last = e;
      if (!LINK_ERRORS.has(toAppError(e).code)) return e;
    }
  }
  return last;
}

/**
 * Drops a temporary copy; never throws (it runs on failure paths). Returns what could not be
 * removed (e.g. the server stayed unreachable), so the caller can say so instead of leaving it
 * behind silently.
 */
export async function discardTemp(
  t: RestoreTarget & { tempDb: string | null; tempFilestore: string | null },
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const left: string[] = [];
  if (t.tempDb) {
    const name = t.tempDb;
    const err = await cleanUp(() => dropDatabase(maintenanceDb(t.conn, t.pg), name));
    if (err) left.push(`database ${name} (${toAppError(err).message})`);
  }
  if (t.tempFilestore) {
    const dir = t.tempFilestore;
    const err = await cleanUp(() => t.conn.remove(dir, { recursive: true }));
    if (err) left.push(`folder ${dir} on ${t.conn.label} (${toAppError(err).message})`);
  }
  if (left.length) log(`Could not remove the temporary copy, remove it by hand: ${left.join("; ")}`);
  return left;
}

async function checkVersions(o: RestoreOptions, a: ArchiveInfo): Promise<void> {
  if (a.kind === "native" && a.manifest.scope === "files") return;
  const tool = a.kind === "odoo-zip" ? "psql" : "pg_restore";
  const v = await odoo.toolVersion(o.conn, tool);
  if (!v) throw new AppError("E_COMMAND_FAILED", `${tool} is not installed on ${o.conn.label}`);
  if (a.pgDumpMajor !== null && v.major < a.pgDumpMajor)
    throw new AppError(
      "E_PG_VERSION",
      `The dump was made by pg_dump ${a.pgDumpMajor}, but ${tool} on ${o.conn.label} is ${v.version}`,
      { hint: `Install the PostgreSQL ${a.pgDumpMajor} (or newer) client tools on ${o.conn.label}` },
    );
}

export async function restoreToTemp(o: RestoreOptions): Promise<TempCopy> {
  const src = o.source;
  if (typeof src !== "string") return restoreFrom({ ...o, source: src.sourceDb }, src);
  const staged = await materializeSource(src, {
    signal: o.signal,
    log: o.log,
    progress: (bytesDone, bytesTotal) => o.progress?.({ phase: "fetch", bytesDone, bytesTotal }),
  });
  try {
    return await restoreFrom({ ...o, source: staged.path }, await inspectArchive(staged.path));
  } finally {
    await staged.release();
  }
}

/** Runs `fn` and logs how long it took: the operation log says where a slow restore spends its time. */
async function timedPhase<T>(log: (line: string) => void, what: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await fn();
  log(`${what} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return r;
}

/** `a` is the inspected archive (o.source names it); restoreFrom owns it (closes a zip). */
async function restoreFrom(o: RestoreOptions, a: ArchiveInfo): Promise<TempCopy> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  o.progress?.({ phase: "validate" });
  try {
    await checkVersions(o, a);
    if (a.kind === "odoo-zip" || a.kind === "pg-stream") {
      const wanted = a.kind === "odoo-zip" ? a.zip.extensions : a.extensions;
      const bad = await uncreatableExtensions(maintenanceDb(o.conn, o.pg), wanted);
      if (bad.length) throw extensionError(bad);
    }
  } catch (e) {
    if (a.kind === "odoo-zip") a.zip.close();
    throw e;
  }
  // Before anything is created: a damaged part never gets as far as a temporary database (the
  // zip's CRCs were checked by inspectArchive).
  if (a.kind === "native")
    await timedPhase(log, "Checksums of the backup's parts match", () => checkPartHashes(a, o.signal));
  const name = fitName(o.dbName, `__restore_${compactStamp()}`);
  const hasDb = a.kind !== "native" || a.manifest.scope !== "files";
  // Odoo's dump has no filestore: the copy gets an empty one, as when Odoo restores it.
  const hasFiles =
    a.kind === "pg-dump" ||
    a.kind === "pg-stream" ||
    (a.kind === "odoo-zip" ? a.zip.filestoreFiles.length > 0 : a.manifest.scope !== "db");
  const temp: TempCopy = {
    ...pick(o),
    tempDb: null,
    tempFilestore: null,
    archive: a,
    check: null,
    seconds: 0,
  };
  const workDir = `${o.filestoreRoot}/.${name}.work`;
  let done = 0;
  const total =
    a.kind === "native"
      ? a.manifest.parts.reduce((s, p) => s + p.bytes, 0)
      : a.kind === "pg-dump"
        ? Bun.file(a.path).size
        : a.kind === "pg-stream"
          ? a.bytes
          : a.zip.dump.uncompressedSize + a.zip.filestoreFiles.reduce((s, e) => s + e.uncompressedSize, 0);
  const onBytes = (n: number) => {
    done += n;
    o.progress?.({ phase: "restore", bytesDone: done, bytesTotal: total });
  };
  const m = maintenanceDb(o.conn, o.pg);
  try {
    if (hasDb && (await databaseExists(m, name)))
      throw new AppError("E_CONFLICT", `Database ${name} already exists`);
    const dataDir = o.filestoreRoot.replace(/\/filestore\/?$/, "") || o.filestoreRoot;
    const owner = await serviceOwner(o.conn, dataDir).catch(() => null);
    await o.conn.mkdir(o.filestoreRoot, { recursive: true });
    await o.conn.mkdir(workDir, { recursive: true, mode: 0o700 });
    if (hasFiles) {
      temp.tempFilestore = `${o.filestoreRoot}/${name}`;
      await o.conn.mkdir(temp.tempFilestore, { recursive: false });
    }
    log(
      `Restoring ${{ native: "native backup", "odoo-zip": "Odoo zip", "pg-dump": "Odoo dump", "pg-stream": `database ${a.sourceDb} streamed` }[a.kind]} into temporary database ${name}`,
    );
    if (a.kind === "native") {
      const dbWork = async (signal: AbortSignal) => {
        if (!hasDb || !a.dbPart) return;
        const part = { conn: o.conn, pg: o.pg, dir: a.dir, part: a.dbPart, signal };
        const prepared = await prepareNativeDump({ ...part, workDir });
        await createDatabase(m, name);
        temp.tempDb = name;
        await timedPhase(log, "Database restored", () =>
          pgRestoreNative({ ...part, ...prepared, dbName: name, onBytes }),
        );
      };
      const filesWork = async (signal: AbortSignal) => {
        if (!temp.tempFilestore || !a.filesPart) return;
        if (a.filesPart.name === PART_FILESTORE_INDEX) {
          const index = parseIndex(await Bun.file(`${a.dir}/${PART_FILESTORE_INDEX}`).text());
          // Hard links only where nothing will chown them: they share the store's inodes.
          const link = o.conn.kind === "local" && !owner;
          await timedPhase(log, "Filestore materialized from the object store", () =>
            materializeFilestore(o.conn, index, storeRootOf(a.dir), temp.tempFilestore!, {
              link,
              signal,
              onBytes,
            }),
          );
          return;
        }
        await timedPhase(log, "Filestore extracted", () =>
          extractTarZst(o.conn, `${a.dir}/${PART_FILESTORE}`, temp.tempFilestore!, { signal, onBytes }),
        );
      };
      await allOrAbort(o.signal, [dbWork, filesWork]);
    } else if (a.kind === "pg-dump") {
      await createDatabase(m, name);
      temp.tempDb = name;
      await timedPhase(log, "Database restored", () =>
        pgRestoreFile(o.conn, a.path, { pg: o.pg, dbName: name, signal: o.signal, onBytes }),
      );
    } else if (a.kind === "pg-stream") {
      await createDatabase(m, name);
      temp.tempDb = name;
      await timedPhase(log, "Database restored (streamed)", () =>
        pgRestoreStream(o.conn, a.producer, {
          pg: o.pg,
          dbName: name,
          signal: o.signal,
          onBytes,
          settings: TEMP_DB_SETTINGS,
        }),
      );
    } else {
      await createDatabase(m, name);
      temp.tempDb = name;
      await importOdooZip({
        ...o,
        target: o.pg,
        zip: a.zip,
        dbName: name,
        filestoreDir: temp.tempFilestore,
        onBytes,
      });
    }
    if (temp.tempFilestore)
      await timedPhase(log, "Filestore ownership set", () => chownTree(o.conn, temp.tempFilestore!, owner));
    o.progress?.({ phase: "verify" });
    if (temp.tempDb && o.verify !== false) {
      const db = new odoo.OdooDb(o.conn, { ...o.pg, database: temp.tempDb });
      temp.check = await timedPhase(log, "Copy checked", () =>
        verifyRestoredCopy(
          o.conn,
          db,
          a.kind === "pg-dump" || a.kind === "pg-stream" ? null : temp.tempFilestore,
          {
            counts: a.kind === "native" ? a.manifest.counts : a.kind === "pg-stream" ? a.counts : null,
            modules: a.modules,
          },
        ),
      );
      if (temp.check.problems.length)
        throw new AppError(
          "E_BACKUP_CORRUPT",
          `The restored copy does not match the backup: ${temp.check.problems.join("; ")}`,
          {
            hint: "The temporary copy was dropped; nothing live was changed",
            details: { problems: temp.check.problems },
          },
        );
      log(
        `Verified: ${temp.check.counts.res_partner} partners, ${temp.check.modules} modules, ${temp.check.filestoreFiles} files`,
      );
    }
    temp.seconds = (performance.now() - t0) / 1000;
    return temp;
  } catch (e) {
    // pg_restore may still be creating the database when the other branch fails
    temp.tempDb ??=
      (await cleanUp(async () => {
        if (!(await databaseExists(m, name))) throw new AppError("E_NOT_FOUND");
      })) === null
        ? name
        : null;
    const left = await discardTemp(temp, log);
    const err = toAppError(e);
    if (!left.length) throw err;
    throw new AppError(err.code, err.message, {
      hint: `${err.hint ? `${err.hint}. ` : ""}Left behind (remove by hand): ${left.join("; ")}`,
      details: err.details,
      cause: err,
    });
  } finally {
    await cleanUp(() => o.conn.remove(workDir, { recursive: true }));
    if (a.kind === "odoo-zip") a.zip.close();
  }
}

function pick(o: RestoreTarget): RestoreTarget {
  return { conn: o.conn, pg: o.pg, filestoreRoot: o.filestoreRoot };
}

/**
 * Restores into a database that does not exist yet: temporary copy, verify, optional
 * neutralization (fail closed), then rename to `dbName`.
 * @example await restoreToNewDatabase({ conn, pg, source: "/backups/x.odoodeck", dbName: "acme_test", filestoreRoot: "/var/lib/odoo/filestore" })
 */
export async function restoreToNewDatabase(o: RestoreOptions & Omit<FinishOptions, "promote">) {
  const m = maintenanceDb(o.conn, o.pg);
  if (await databaseExists(m, o.dbName))
    throw new AppError("E_CONFLICT", `Database ${o.dbName} already exists`, {
      hint: "Pick a new database name",
    });
  if (await o.conn.stat(`${o.filestoreRoot}/${o.dbName}`))
    throw new AppError("E_CONFLICT", `A filestore for ${o.dbName} already exists in ${o.filestoreRoot}`);
  const temp = await restoreToTemp(o);
  return finishRestore(temp, { ...o, promote: { kind: "new", dbName: o.dbName } });
}
