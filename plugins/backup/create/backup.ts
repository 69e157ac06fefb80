/**
 * Creating a backup: an operation with steps inspect → dump database ∥ archive filestore →
 * checksum & publish. pg_dump and tar run on the instance's server (through its Connection, so
 * SSH works too) and are compressed there; their output streams to every destination at once.
 * Nothing is published until every part is written, synced and re-read; a failure or cancel
 * removes the partial copies.
 */
import type { InstanceHandle, OperationsApi, StepApi } from "../../../server/sdk/index.ts";
import { AppError, odoo, toAppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { fanOut } from "../archive/fanout.ts";
import {
  type BackupFormat,
  type BackupManifest,
  type BackupScope,
  backupBaseName,
  FORMAT_NAME,
  FORMAT_VERSION,
  type ManifestPart,
  nativeName,
  PART_DB,
  PART_FILESTORE,
  zipName,
} from "../archive/format.ts";
import { backupFilestoreCas } from "../filestore-store/backup-step.ts";
import { acquireWrite } from "../filestore-store/lock.ts";
import { filestoreStats, readSourceFacts, type SourceFacts } from "../archive/manifest.ts";
import { canZipWithPython, odooZipArgv, odooZipManifest, odooZipStream } from "../archive/odoo-zip-export.ts";
import { produce, produceToFile } from "../archive/pipeline.ts";
import { publishFile, publishNative, stagingName } from "../archive/publish.ts";
import type { BackupRecord, BackupStore, DestinationState } from "../store.ts";

export interface BackupRequest {
  scope: BackupScope;
  format: BackupFormat;
  destinations: Destination[];
  actor: string;
  /** Run as a child of this operation (e.g. the upgrade it protects): under its lock, cancelled with it. */
  parentId?: string;
  /** Native only: the filestore goes into each destination's object store (filestore-store/). */
  cas?: { cachePath: string | null };
}

export interface BackupEnv {
  operations: OperationsApi;
  store: BackupStore;
  onFinished?: (b: BackupRecord) => void;
}

const TAR_SCRIPT = `if [ -d "$1" ]; then exec tar -C "$1" -cf - .; else exec tar -cf - -T /dev/null; fi`;

/** Starts the backup operation; resolves once it is recorded (the work goes on in the background). */
export async function startBackup(env: BackupEnv, inst: InstanceHandle, req: BackupRequest) {
  if (!req.destinations.length) throw new AppError("E_VALIDATION", "Choose at least one destination");
  const { settings, db: baseDb } = await inst.odoo();
  const dbName = inst.dbName ?? settings.dbNames[0];
  if (!dbName)
    throw new AppError("E_CONF_INVALID", `${inst.name} has no database name`, {
      hint: "Set db_name in odoo.conf or on the instance",
    });
  const db = baseDb.withDatabase(dbName);
  const createdAt = new Date();
  // Two backups within one second (e.g. an upgrade's own backup right after a scheduled one) get -2, -3…
  const taken = new Set((await env.store.list(inst.id, 50)).map((b) => b.name));
  let name = "";
  for (let seq = 1; !name || taken.has(name); seq++) {
    const base = backupBaseName(inst.name, dbName, createdAt, req.scope, seq);
    name = req.format === "zip" ? zipName(base) : nativeName(base);
  }
  const dests: DestinationState[] = req.destinations.map((d) => ({
    id: d.id,
    label: d.label,
    status: "pending",
    path: d.where(name),
  }));
  const record: Omit<BackupRecord, "id"> = {
    instanceId: inst.id,
    name,
    scope: req.scope,
    format: req.format,
    createdAt: createdAt.toISOString(),
    finishedAt: null,
    bytes: 0,
    status: "running",
    error: null,
    operationId: null,
    manifest: null,
    destinations: dests,
  };
  const backupId = await env.store.insert(record);
  const wantDb = req.scope !== "files";
  const wantFiles = req.scope !== "db";
  const dataSteps =
    req.format === "zip"
      ? ["write odoo zip"]
      : [...(wantDb ? ["dump database"] : []), ...(wantFiles ? ["archive filestore"] : [])];
  const op = env.operations.start({
    kind: "backup.create",
    title: `Back up ${inst.name} (${req.scope}, ${req.format})`,
    instanceId: inst.id,
    actor: req.actor,
    lock: true,
    ...(req.parentId ? { parentId: req.parentId } : {}),
    steps: ["inspect", ...dataSteps, "checksum & publish"],
    run: async (o) => {
      const ac = new AbortController();
      o.signal.addEventListener("abort", () => ac.abort(), { once: true });
      const conn = await inst.connection();
      const t = db.target;
      const pgEnv: Record<string, string> = { PGCONNECT_TIMEOUT: "10", PGAPPNAME: "odoodeck-backup" };
      if (t.password) pgEnv.PGPASSWORD = t.password; // env only, never argv
      if (t.sslmode) pgEnv.PGSSLMODE = t.sslmode;
      const dumpArgv = [
        "pg_dump",
        "-p",
        String(t.port),
        "-d",
        dbName,
        ...(t.host ? ["-h", t.host] : []),
        ...(t.user ? ["-U", t.user] : []),
      ];
      const filestoreDir = settings.filestorePath(dbName);
      const failures = new Map<string, string>();
      const live = () => req.destinations.filter((d) => !failures.has(d.id));
      const fail = (d: Destination, e: unknown) => failures.set(d.id, toAppError(e).message);
      const save = async (patch: Partial<BackupRecord> = {}) => {
        for (const s of dests) {
          const why = failures.get(s.id);
          if (why) Object.assign(s, { status: "failed", error: why });
        }
        await env.store.update(backupId, { ...patch, destinations: dests });
      };

      const facts: SourceFacts & { filestore: { files: number; bytes: number } } = await o.step(
        "inspect",
        async (s) => {
          const dump = await odoo.toolVersion(conn, "pg_dump");
          if (wantDb && !dump)
            throw new AppError("E_COMMAND_FAILED", `pg_dump is not installed on ${conn.label}`, {
              hint: "Install the PostgreSQL client tools there",
            });
          const f = await readSourceFacts(db, dump?.version ?? "");
          const serverMajor = Math.floor(f.serverVersionNum / 10000);
          if (wantDb && dump && dump.major < serverMajor)
            throw new AppError(
              "E_PG_VERSION",
              `pg_dump ${dump.version} on ${conn.label} cannot dump a PostgreSQL ${serverMajor} server`,
              {
                hint: `Install postgresql-client-${serverMajor} (or newer) on ${conn.label}`,
              },
            );
          const fs = wantFiles ? await filestoreStats(conn, filestoreDir) : { files: 0, bytes: 0 };
          s.log(
            `${dbName}: Odoo ${f.odoo.version}, ${f.odoo.modules.length} modules; filestore ${fs.files} files, ${fs.bytes} bytes`,
          );
          return { ...f, filestore: fs };
        },
      );

      // One producer → every live destination; a destination that fails is recorded, the others go on.
      const stream = async (
        s: StepApi,
        rel: (d: Destination) => string,
        src: { stdout: ReadableStream<Uint8Array>; finished: Promise<unknown> },
      ) => {
        const targets = live();
        try {
          const r = await fanOut(
            src.stdout,
            targets.map((d) => (data) => d.write(rel(d), data, ac.signal)),
            (bytesDone) => s.progress({ bytesDone }),
          );
          r.errors.forEach((e, i) => {
            if (e) fail(targets[i], e);
          });
          await src.finished;
          return r;
        } catch (e) {
          ac.abort();
          await src.finished.catch(() => {});
          throw e;
        }
      };
      // A producer's output (a native part, or the whole zip): straight into the file when the
      // only destination is a folder on this machine and the instance is local too (nothing
      // passes through odoodeck's memory); otherwise streamed from the server to every
      // destination at once.
      const writePart = async (
        s: StepApi,
        rel: (d: Destination) => string,
        argv: string[],
        o: { what: string; compress: boolean; env?: Record<string, string> },
      ) => {
        const targets = live();
        const d = targets.length === 1 && conn.kind === "local" ? targets[0] : null;
        if (d?.localPath) {
          try {
            return await produceToFile(conn, argv, d.localPath(rel(d)), {
              ...o,
              signal: ac.signal,
              onBytes: (bytesDone) => s.progress({ bytesDone }),
            });
          } catch (e) {
            ac.abort();
            throw e;
          }
        }
        return stream(s, rel, produce(conn, argv, { ...o, signal: ac.signal }));
      };
      const manifestBase = {
        format: FORMAT_NAME,
        formatVersion: FORMAT_VERSION,
        createdAt: createdAt.toISOString(),
        scope: req.scope,
        source: { instanceId: inst.id, instanceName: inst.name, server: inst.serverName, dbName },
        postgres: facts.postgres,
        odoo: facts.odoo,
        counts: facts.counts,
        filestore: req.cas ? { ...facts.filestore, format: "cas" as const } : facts.filestore,
      } satisfies Omit<BackupManifest, "parts">;
      // No garbage collection at these destinations until this backup is published or removed.
      const releases = req.cas ? await Promise.all(req.destinations.map((d) => acquireWrite(d.id))) : [];

      try {
        for (const s of dests) s.status = "writing";
        await save();
        const parts: ManifestPart[] = [];
        if (req.format === "zip") {
          const zip = {
            pgDumpArgv: wantDb ? dumpArgv : null,
            filestoreDir: wantFiles ? filestoreDir : null,
            manifest: odooZipManifest(
              dbName,
              facts.odoo.version,
              facts.serverVersionNum,
              facts.moduleVersions,
            ),
          };
          const r = await o.step("write odoo zip", async (s) => {
            if (await canZipWithPython(conn)) {
              s.log(`Writing the zip with python3 on ${conn.label}`);
              return writePart(s, (d) => stagingName(d, name), odooZipArgv(zip), {
                what: "the Odoo zip (python3 zipfile)",
                compress: false,
                env: pgEnv,
              });
            }
            s.log(`No python3 on ${conn.label}: writing the zip in odoodeck`);
            return stream(
              s,
              (d) => stagingName(d, name),
              odooZipStream(conn, { ...zip, env: pgEnv, signal: ac.signal }),
            );
          });
          parts.push({
            name,
            bytes: r.bytes,
            sha256: r.sha256,
            compression: "deflate",
            contains: "odoo-zip",
          });
        } else {
          const jobs: Promise<void>[] = [];
          const guard = (p: Promise<void>) =>
            p.catch((e) => {
              ac.abort();
              throw e;
            });
          if (wantDb)
            jobs.push(
              guard(
                o.step("dump database", async (s) => {
                  const r = await writePart(
                    s,
                    (d) => `${stagingName(d, name)}/${PART_DB}`,
                    [...dumpArgv, "-Fc", "-Z0"],
                    { what: "pg_dump", compress: true, env: pgEnv },
                  );
                  parts.push({
                    name: PART_DB,
                    bytes: r.bytes,
                    sha256: r.sha256,
                    compression: "zstd",
                    contains: "pg_dump-custom",
                  });
                }),
              ),
            );
          if (wantFiles && req.cas) {
            const cas = req.cas;
            jobs.push(
              guard(
                o.step("archive filestore", async (s) => {
                  let done = 0;
                  const r = await backupFilestoreCas(
                    conn,
                    filestoreDir,
                    live(),
                    (d) => stagingName(d, name),
                    {
                      cachePath: cas.cachePath,
                      signal: ac.signal,
                      onBytes: (n) => s.progress({ bytesDone: (done += n) }),
                      log: (l) => s.log(l),
                    },
                  );
                  for (const [id, e] of r.errors) fail(req.destinations.find((d) => d.id === id)!, e);
                  for (const [id, w] of r.written)
                    s.log(`${id}: uploaded ${w.objects} new objects, ${w.bytes} bytes`);
                  parts.push(r.part);
                }),
              ),
            );
          } else if (wantFiles)
            jobs.push(
              guard(
                o.step("archive filestore", async (s) => {
                  const r = await writePart(
                    s,
                    (d) => `${stagingName(d, name)}/${PART_FILESTORE}`,
                    ["sh", "-c", TAR_SCRIPT, "odoodeck-tar", filestoreDir],
                    { what: "tar of the filestore", compress: true },
                  );
                  parts.push({
                    name: PART_FILESTORE,
                    bytes: r.bytes,
                    sha256: r.sha256,
                    compression: "zstd",
                    contains: "filestore-tar",
                  });
                }),
              ),
            );
          const settled = await Promise.allSettled(jobs);
          // The first real cause wins over the E_CANCELLED it caused in the sibling step.
          const reasons = settled.flatMap((x) => (x.status === "rejected" ? [toAppError(x.reason)] : []));
          const cause = reasons.find((e) => e.code !== "E_CANCELLED") ?? reasons[0];
          if (cause) throw cause;
          parts.sort((a, b) => a.name.localeCompare(b.name));
        }
        const manifest: BackupManifest = { ...manifestBase, parts };
        const manifestJson = `${JSON.stringify(manifest, null, 2)}\n`;
        await o.step("checksum & publish", async (s) => {
          await Promise.all(
            live().map(async (d) => {
              try {
                if (req.format === "zip") await publishFile(d, name, parts[0]);
                else await publishNative(d, name, parts, manifestJson);
                const st = dests.find((x) => x.id === d.id)!;
                Object.assign(st, { status: "ok", verify: "verified", verifiedAt: new Date().toISOString() });
                s.log(`published at ${d.where(name)}`);
              } catch (e) {
                fail(d, e);
                await d.remove(stagingName(d, name)).catch(() => {});
              }
            }),
          );
        });
        const bytes =
          parts.reduce((n, p) => n + p.bytes, 0) + (req.format === "zip" ? 0 : manifestJson.length);
        const ok = failures.size === 0;
        await save({
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
        return { backupId, name, bytes, links };
      } catch (e) {
        ac.abort();
        const err = toAppError(e);
        // Remove every copy that was not published: nothing half-made may look like a backup.
        await Promise.all(
          req.destinations.map(async (d) => {
            const st = dests.find((x) => x.id === d.id)!;
            if (st.status !== "ok") {
              await d.remove(stagingName(d, name)).catch(() => {});
              if (st.status !== "failed") Object.assign(st, { status: "failed", error: err.message });
            }
          }),
        );
        const status = err.code === "E_CANCELLED" || o.signal.aborted ? "cancelled" : "failed";
        await save({
          status,
          finishedAt: new Date().toISOString(),
          error: `${err.code}: ${err.message}${err.hint ? ` (${err.hint})` : ""}`,
        });
        throw err;
      } finally {
        for (const release of releases) release();
      }
    },
  });
  await env.store.update(backupId, { operationId: op.id });
  const done = op.done.then(async () => {
    const b = (await env.store.get(backupId))!;
    if (b.status === "running") {
      // The operation ended before run() (e.g. E_BUSY on the lock): record why.
      const snap = env.operations.get(op.id);
      await env.store.update(backupId, {
        status: "failed",
        finishedAt: new Date().toISOString(),
        error: snap?.error ? `${snap.error.code}: ${snap.error.message}` : "did not start",
        destinations: dests.map((d) => ({ ...d, status: "failed" as const })),
      });
    }
    const final = (await env.store.get(backupId))!;
    env.onFinished?.(final);
    return final;
  });
  return { backupId, operationId: op.id, name, done };
}
