/**
 * Copy an instance's database and filestore into another instance or a new database as one
 * operation, with no intermediate file: `createdb -T` (a file-level copy) when both sides are the
 * same cluster and nobody is connected to the source, else `pg_dump -Fc | pg_restore` streamed
 * between the two connections, and `tar | tar` for the filestore. The copy lands under a temporary
 * name, is verified against the source, then goes through the same fail-closed finish as a restore
 * (neutralized by default).
 */
import {
  AppError,
  type Connection,
  type RunningProcess,
  odoo,
  toAppError,
} from "../../../server/sdk/index.ts";
import { allOrAbort } from "./restore-concurrent.ts";
import { chownTree, serviceOwner } from "./restore-files.ts";
import { type FinishOptions, finishRestore, type RestoreResult } from "./restore-finish.ts";
import {
  compactStamp,
  createDatabase,
  fitName,
  maintenanceDb,
  type PgTarget,
  pgArgs,
  onlyExtensionComments,
  pgEnv,
  runTool,
} from "./restore-pg.ts";
import { discardTemp, type RestoreTarget, type TempCopy } from "./restore.ts";
import { verifyRestoredCopy } from "./restore-verify.ts";

export interface CopySource {
  conn: Connection;
  pg: PgTarget;
  filestoreRoot: string;
  dbName: string;
}

export interface CopyOptions extends FinishOptions {
  from: CopySource;
  to: RestoreTarget;
  signal?: AbortSignal;
}

const sameCluster = (a: CopySource, b: RestoreTarget) =>
  a.conn === b.conn && a.pg.host === b.pg.host && a.pg.port === b.pg.port && a.pg.user === b.pg.user;

async function streamDb(o: CopyOptions, temp: string, signal: AbortSignal): Promise<void> {
  const dump: RunningProcess = o.from.conn.spawn(
    ["pg_dump", "-Fc", "-Z0", ...pgArgs(o.from.pg), "-d", o.from.dbName],
    { env: pgEnv(o.from.pg), signal },
  );
  const dumpErr = new Response(dump.stderr).text();
  const res = await o.to.conn.exec(["pg_restore", "--no-owner", "--no-acl", ...pgArgs(o.to.pg), "-d", temp], {
    stdin: dump.stdout,
    env: pgEnv(o.to.pg),
    signal,
  });
  const code = await dump.exited;
  if (code !== 0)
    throw new AppError(
      "E_COMMAND_FAILED",
      `pg_dump of ${o.from.dbName} failed: ${(await dumpErr).trim().split("\n")[0]}`,
    );
  if (res.code !== 0 && !onlyExtensionComments(res.stderr))
    throw new AppError("E_COMMAND_FAILED", `pg_restore failed: ${res.stderr.trim().split("\n")[0]}`, {
      details: { stderr: res.stderr.slice(-4000) },
    });
}

async function streamFiles(o: CopyOptions, dest: string, signal: AbortSignal): Promise<void> {
  const src = `${o.from.filestoreRoot}/${o.from.dbName}`;
  if (!(await o.from.conn.stat(src))) return;
  const tar = o.from.conn.spawn(["tar", "-cf", "-", "-C", src, "."], { signal });
  const tarErr = new Response(tar.stderr).text();
  await runTool(o.to.conn, ["tar", "--no-same-owner", "-xf", "-", "-C", dest], {
    stdin: tar.stdout,
    signal,
    what: "Copying the filestore",
  });
  if ((await tar.exited) !== 0)
    throw new AppError("E_COMMAND_FAILED", `tar of ${src} failed: ${(await tarErr).trim()}`);
}

export async function copyDatabase(o: CopyOptions): Promise<RestoreResult & { method: string }> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const srcDb = new odoo.OdooDb(o.from.conn, { ...o.from.pg, database: o.from.dbName });
  const expectCounts = await srcDb.odooInfo();
  const modules = (
    await srcDb.query<{ name: string }>(
      "SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name",
    )
  ).map((r) => r.name);
  const base = o.promote.kind === "new" ? o.promote.dbName : o.promote.currentDb;
  const name = fitName(base, `__restore_${compactStamp()}`);
  const temp: TempCopy = { ...o.to, tempDb: null, tempFilestore: null, check: null, seconds: 0 };
  const m = maintenanceDb(o.to.conn, o.to.pg);
  let method = "pg_dump | pg_restore";
  try {
    await o.to.conn.mkdir(o.to.filestoreRoot, { recursive: true });
    temp.tempFilestore = `${o.to.filestoreRoot}/${name}`;
    await o.to.conn.mkdir(temp.tempFilestore);
    const db = async (signal: AbortSignal) => {
      if (sameCluster(o.from, o.to)) {
        try {
          await m.query(`CREATE DATABASE :"name" TEMPLATE :"src"`, { name, src: o.from.dbName });
          temp.tempDb = name;
          method = "CREATE DATABASE … TEMPLATE";
          return;
        } catch {
          log("Template copy not possible (source in use): streaming pg_dump | pg_restore instead");
        }
      }
      await createDatabase(m, name);
      temp.tempDb = name;
      await streamDb(o, name, signal);
    };
    await allOrAbort(o.signal, [db, (s) => streamFiles(o, temp.tempFilestore!, s)]);
    const dataDir = o.to.filestoreRoot.replace(/\/filestore\/?$/, "");
    await chownTree(o.to.conn, temp.tempFilestore, await serviceOwner(o.to.conn, dataDir).catch(() => null));
    temp.check = await verifyRestoredCopy(
      o.to.conn,
      new odoo.OdooDb(o.to.conn, { ...o.to.pg, database: name }),
      temp.tempFilestore,
      {
        counts: {
          res_users: expectCounts.users,
          res_partner: expectCounts.partners,
          ir_attachment_stored: expectCounts.storedAttachments,
        },
        modules,
      },
    );
    if (temp.check.problems.length)
      throw new AppError(
        "E_BACKUP_CORRUPT",
        `The copy does not match its source: ${temp.check.problems.join("; ")}`,
      );
    temp.seconds = (performance.now() - t0) / 1000;
    log(`Copied ${o.from.dbName} with ${method} in ${temp.seconds.toFixed(1)} s`);
  } catch (e) {
    await discardTemp(temp);
    throw toAppError(e);
  }
  return { ...(await finishRestore(temp, o)), method };
}
