/**
 * The steps of one backup run, in order: inspect the source, write the parts (an Odoo zip, or the
 * native database dump ∥ filestore archive), publish at every destination, record the result. On
 * any failure discardUnpublished removes what was not published.
 */
import type { StepApi } from "../../../server/sdk/index.ts";
import { AppError, odoo, toAppError } from "../../../server/sdk/index.ts";
import {
  type BackupManifest,
  FORMAT_NAME,
  FORMAT_VERSION,
  type ManifestPart,
  PART_DB,
  PART_FILESTORE,
} from "../archive/format.ts";
import { filestoreStats, readSourceFacts, type SourceFacts } from "../archive/manifest.ts";
import { odooZipArgv, odooZipManifest, odooZipStream, zipPython } from "../archive/odoo-zip-export.ts";
import { publishFile, publishNative, stagingName } from "../archive/publish.ts";
import { backupFilestoreCas } from "../filestore-store/backup-step.ts";
import type { BackupRun } from "./backup-run.ts";

/** The operation's handle as run() gets it: named steps, its signal. */
export interface StepRunner {
  step<T>(name: string, fn: (s: StepApi) => Promise<T>): Promise<T>;
  signal: AbortSignal;
}

export type BackupFacts = SourceFacts & { filestore: { files: number; bytes: number } };

const TAR_SCRIPT = `if [ -d "$1" ]; then exec tar -C "$1" -cf - .; else exec tar -cf - -T /dev/null; fi`;

/**
 * "inspect": pg_dump is there and not older than the server, what the database holds (Odoo
 * version, modules, counts) and the filestore's size, for the manifest and the log.
 */
export async function inspectSource(run: BackupRun, s: StepApi): Promise<BackupFacts> {
  const { conn, claim } = run;
  // The zip's interpreter is looked up meanwhile (cached per server): the write step needs it next.
  if (run.req.format === "zip") void zipPython(conn).catch(() => {});
  // pg_dump's version, the database's facts and the filestore count are independent: at once.
  const [dump, f, fs] = await Promise.all([
    odoo.toolVersion(conn, "pg_dump"),
    readSourceFacts(claim.db, ""),
    run.wantFiles ? filestoreStats(conn, claim.filestoreDir) : { files: 0, bytes: 0 },
  ]);
  if (run.wantDb && !dump)
    throw new AppError("E_COMMAND_FAILED", `pg_dump is not installed on ${conn.label}`, {
      hint: "Install the PostgreSQL client tools there",
    });
  f.postgres.pgDumpVersion = dump?.version ?? "";
  const serverMajor = Math.floor(f.serverVersionNum / 10000);
  if (run.wantDb && dump && dump.major < serverMajor)
    throw new AppError(
      "E_PG_VERSION",
      `pg_dump ${dump.version} on ${conn.label} cannot dump a PostgreSQL ${serverMajor} server`,
      {
        hint: `Install postgresql-client-${serverMajor} (or newer) on ${conn.label}`,
      },
    );
  s.log(
    `${claim.dbName}: Odoo ${f.odoo.version}, ${f.odoo.modules.length} modules; filestore ${fs.files} files, ${fs.bytes} bytes`,
  );
  return { ...f, filestore: fs };
}

/** The manifest without its parts: where the backup comes from and what it holds. */
export function manifestHeader(run: BackupRun, facts: BackupFacts): Omit<BackupManifest, "parts"> {
  const { inst, req, claim } = run;
  return {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    createdAt: claim.createdAt.toISOString(),
    scope: req.scope,
    source: { instanceId: inst.id, instanceName: inst.name, server: inst.serverName, dbName: claim.dbName },
    postgres: facts.postgres,
    odoo: facts.odoo,
    counts: facts.counts,
    filestore: req.cas ? { ...facts.filestore, format: "cas" as const } : facts.filestore,
  } satisfies Omit<BackupManifest, "parts">;
}

/**
 * "write odoo zip": the whole backup as Odoo's database manager zip, written by python3 on the
 * instance's server when it has one, else assembled in odoodeck. One part, staged at every
 * destination.
 */
export async function writeOdooZip(
  run: BackupRun,
  o: StepRunner,
  facts: BackupFacts,
): Promise<ManifestPart[]> {
  const { conn, claim, name } = run;
  const zip = {
    pgDumpArgv: run.wantDb ? run.dumpArgv : null,
    filestoreDir: run.wantFiles ? claim.filestoreDir : null,
    manifest: odooZipManifest(claim.dbName, facts.odoo.version, facts.serverVersionNum, facts.moduleVersions),
  };
  const r = await o.step("write odoo zip", async (s) => {
    const python = await zipPython(conn);
    if (python) {
      s.log(`Writing the zip with ${python} on ${conn.label}`);
      return run.writePart(s, (d) => stagingName(d, name), odooZipArgv({ ...zip, python }), {
        what: "the Odoo zip (python3 zipfile)",
        compress: false,
        env: run.pgEnv,
      });
    }
    s.log(`No python3 on ${conn.label}: writing the zip in odoodeck`);
    return run.stream(
      s,
      (d) => stagingName(d, name),
      odooZipStream(conn, { ...zip, env: run.pgEnv, signal: run.ac.signal }),
    );
  });
  return [{ name, bytes: r.bytes, sha256: r.sha256, compression: "deflate", contains: "odoo-zip" }];
}

/**
 * "dump database" ∥ "archive filestore": the native parts, side by side. The first step to fail
 * aborts the other; its own error wins over the E_CANCELLED it caused there. Parts come back
 * sorted by name.
 */
export async function writeNativeParts(run: BackupRun, o: StepRunner): Promise<ManifestPart[]> {
  const parts: ManifestPart[] = [];
  const jobs: Promise<void>[] = [];
  const guard = (p: Promise<void>) =>
    p.catch((e) => {
      run.ac.abort();
      throw e;
    });
  const add = (step: string, fn: (s: StepApi) => Promise<ManifestPart>) =>
    jobs.push(
      guard(
        o.step(step, async (s) => {
          parts.push(await fn(s));
        }),
      ),
    );
  const cas = run.req.cas;
  if (run.wantDb) add("dump database", (s) => dumpDatabase(run, s));
  if (run.wantFiles && cas) add("archive filestore", (s) => archiveFilestoreCas(run, s, cas));
  else if (run.wantFiles) add("archive filestore", (s) => archiveFilestore(run, s));
  const settled = await Promise.allSettled(jobs);
  // The first real cause wins over the E_CANCELLED it caused in the sibling step.
  const reasons = settled.flatMap((x) => (x.status === "rejected" ? [toAppError(x.reason)] : []));
  const cause = reasons.find((e) => e.code !== "E_CANCELLED") ?? reasons[0];
  if (cause) throw cause;
  return parts.sort((a, b) => a.name.localeCompare(b.name));
}

/** pg_dump in custom format (uncompressed there, zstd on the way out) into `<staging>/db.dump`. */
async function dumpDatabase(run: BackupRun, s: StepApi): Promise<ManifestPart> {
  const r = await run.writePart(
    s,
    (d) => `${stagingName(d, run.name)}/${PART_DB}`,
    [...run.dumpArgv, "-Fc", "-Z0"],
    { what: "pg_dump", compress: true, env: run.pgEnv },
  );
  return { name: PART_DB, bytes: r.bytes, sha256: r.sha256, compression: "zstd", contains: "pg_dump-custom" };
}

/** The filestore as one zstd tar (an empty tar when the folder does not exist). */
async function archiveFilestore(run: BackupRun, s: StepApi): Promise<ManifestPart> {
  const r = await run.writePart(
    s,
    (d) => `${stagingName(d, run.name)}/${PART_FILESTORE}`,
    ["sh", "-c", TAR_SCRIPT, "odoodeck-tar", run.claim.filestoreDir],
    { what: "tar of the filestore", compress: true },
  );
  return {
    name: PART_FILESTORE,
    bytes: r.bytes,
    sha256: r.sha256,
    compression: "zstd",
    contains: "filestore-tar",
  };
}

/** The filestore into each destination's object store: only objects it lacks are uploaded. */
async function archiveFilestoreCas(
  run: BackupRun,
  s: StepApi,
  cas: { cachePath: string | null },
): Promise<ManifestPart> {
  let done = 0;
  const r = await backupFilestoreCas(
    run.conn,
    run.claim.filestoreDir,
    run.live(),
    (d) => stagingName(d, run.name),
    {
      cachePath: cas.cachePath,
      signal: run.ac.signal,
      onBytes: (n) => s.progress({ bytesDone: (done += n) }),
      log: (l) => s.log(l),
    },
  );
  for (const [id, e] of r.errors) run.fail(run.req.destinations.find((d) => d.id === id)!, e);
  for (const [id, w] of r.written) s.log(`${id}: uploaded ${w.objects} new objects, ${w.bytes} bytes`);
  return r.part;
}

/**
 * "checksum & publish": at every live destination, re-check the staged parts and rename them to
 * the backup's name. A destination that fails is recorded and its staging removed; the others go on.
 */
export async function publishToDestinations(
  run: BackupRun,
  s: StepApi,
  parts: ManifestPart[],
  manifestJson: string,
): Promise<void> {
  const { name, req } = run;
  await Promise.all(
    run.live().map(async (d) => {
      try {
        const inPlace = (rel: string) => run.hashedInPlace.has(`${d.id}:${rel}`);
        if (req.format === "zip") await publishFile(d, name, parts[0], inPlace);
        else await publishNative(d, name, parts, manifestJson, inPlace);
        const st = run.claim.dests.find((x) => x.id === d.id)!;
        Object.assign(st, { status: "ok", verify: "verified", verifiedAt: new Date().toISOString() });
        s.log(`published at ${d.where(name)}`);
      } catch (e) {
        run.fail(d, e);
        await d.remove(stagingName(d, name)).catch(() => {});
      }
    }),
  );
}

/**
 * Records the finished backup (size, manifest, each destination's status). A backup with one
 * failed destination is a failed backup: it throws, naming each failed destination.
 */
export async function recordResult(run: BackupRun, manifest: BackupManifest, manifestJson: string) {
  const { inst, req, failures } = run;
  const bytes =
    manifest.parts.reduce((n, p) => n + p.bytes, 0) + (req.format === "zip" ? 0 : manifestJson.length);
  const ok = failures.size === 0;
  await run.save({
    status: ok ? "ok" : "failed",
    bytes,
    manifest,
    finishedAt: new Date().toISOString(),
    error: ok ? null : [...failures].map(([id, m]) => `${id}: ${m}`).join("; "),
  });
  if (!ok)
    throw new AppError(
      "E_COMMAND_FAILED",
      `The backup failed at ${[...failures].map(([id, m]) => `${id} (${m})`).join(", ")}`,
      { hint: [...failures.values()][0] },
    );
  // links: the operation page points at what was made
  const links = [{ label: `Backups of ${inst.name}`, href: `/p/backup/i/${inst.id}/backups` }];
  return { backupId: run.claim.backupId, name: run.name, bytes, links };
}

/**
 * After a failure or a cancel: stops every producer, removes every copy that was not published
 * (nothing half-made may look like a backup) and records why. Returns the error to throw.
 */
export async function discardUnpublished(run: BackupRun, e: unknown, signal: AbortSignal): Promise<AppError> {
  run.ac.abort();
  const err = toAppError(e);
  await Promise.all(
    run.req.destinations.map(async (d) => {
      const st = run.claim.dests.find((x) => x.id === d.id)!;
      if (st.status !== "ok") {
        await d.remove(stagingName(d, run.name)).catch(() => {});
        if (st.status !== "failed") Object.assign(st, { status: "failed", error: err.message });
      }
    }),
  );
  const status = err.code === "E_CANCELLED" || signal.aborted ? "cancelled" : "failed";
  await run.save({
    status,
    finishedAt: new Date().toISOString(),
    error: `${err.code}: ${err.message}${err.hint ? ` (${err.hint})` : ""}`,
  });
  return err;
}
