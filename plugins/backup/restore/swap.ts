/**
 * Safe swap: put a verified temporary copy in place of an instance's database and filestore with
 * renames only (O(1), so downtime does not grow with size). The current ones are renamed aside as
 * `<db>__rollback_<ts>` and kept; if any rename fails, the renames done so far are undone.
 */
import { AppError, type Connection, toAppError } from "../../../server/sdk/index.ts";
import {
  compactStamp,
  databaseExists,
  dropDatabase,
  fitName,
  maintenanceDb,
  type PgTarget,
  renameDatabase,
  runTool,
} from "./restore-pg.ts";

export interface SwapOptions {
  conn: Connection;
  pg: PgTarget;
  filestoreRoot: string;
  /** The database the instance serves; it may not exist yet. */
  currentDb: string;
  tempDb: string | null;
  tempFilestore: string | null;
  /** systemd unit stopped for the renames and started again afterwards (also on failure). */
  service?: string | null;
  log?: (line: string) => void;
}

export interface SwapResult {
  rollbackDb: string | null;
  rollbackFilestore: string | null;
  /** Seconds between stopping and starting (renames only). */
  downtimeSeconds: number;
}

const ROLLBACK = "__rollback_";

async function systemctl(conn: Connection, verb: "stop" | "start", unit: string): Promise<void> {
  await runTool(conn, ["systemctl", verb, unit], { what: `systemctl ${verb} ${unit}` });
}

export async function swapIntoInstance(o: SwapOptions): Promise<SwapResult> {
  const log = o.log ?? (() => {});
  const m = maintenanceDb(o.conn, o.pg);
  const aside = fitName(o.currentDb, `${ROLLBACK}${compactStamp()}`);
  const curFs = `${o.filestoreRoot}/${o.currentDb}`;
  const asideFs = `${o.filestoreRoot}/${aside}`;
  const undo: Array<{ what: string; run: () => Promise<void> }> = [];
  const result: SwapResult = { rollbackDb: null, rollbackFilestore: null, downtimeSeconds: 0 };
  const t0 = performance.now();
  if (o.service) {
    log(`Stopping ${o.service}`);
    await systemctl(o.conn, "stop", o.service);
  }
  try {
    if (o.tempDb) {
      if (await databaseExists(m, o.currentDb)) {
        await renameDatabase(m, o.currentDb, aside);
        undo.push({ what: "database aside", run: () => renameDatabase(m, aside, o.currentDb) });
        result.rollbackDb = aside;
      }
      await renameDatabase(m, o.tempDb, o.currentDb);
      undo.push({ what: "database in", run: () => renameDatabase(m, o.currentDb, o.tempDb!) });
    }
    if (o.tempFilestore) {
      if (await o.conn.stat(curFs)) {
        await o.conn.rename(curFs, asideFs);
        undo.push({ what: "filestore aside", run: () => o.conn.rename(asideFs, curFs) });
        result.rollbackFilestore = asideFs;
      }
      await o.conn.rename(o.tempFilestore, curFs);
      undo.push({ what: "filestore in", run: () => o.conn.rename(curFs, o.tempFilestore!) });
    }
    log(`Swapped in; previous copy kept as ${aside}`);
  } catch (e) {
    const failed: string[] = [];
    for (const u of undo.reverse()) await u.run().catch(() => failed.push(u.what));
    const err = toAppError(e);
    if (failed.length)
      throw new AppError(err.code, `${err.message}; rolling back also failed for: ${failed.join(", ")}`, {
        hint: `Check the databases and ${o.filestoreRoot} by hand: the previous copy is named ${aside}`,
        cause: e,
      });
    throw err;
  } finally {
    result.downtimeSeconds = (performance.now() - t0) / 1000;
    if (o.service) {
      log(`Starting ${o.service}`);
      await systemctl(o.conn, "start", o.service);
    }
  }
  return result;
}

export interface RollbackCopy {
  name: string;
  database: boolean;
  filestore: boolean;
}

/** Rollback copies kept for `db` (databases and filestore folders named `<db>__rollback_<ts>`). */
export async function listRollbacks(conn: Connection, pg: PgTarget, filestoreRoot: string, db: string) {
  const prefix = `${db}${ROLLBACK}`;
  const names = new Map<string, RollbackCopy>();
  const rows = await maintenanceDb(conn, pg).query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE starts_with(datname, :'prefix') ORDER BY datname",
    { prefix },
  );
  for (const r of rows) names.set(r.datname, { name: r.datname, database: true, filestore: false });
  const entries = await conn.list(filestoreRoot).catch(() => []);
  for (const e of entries) {
    if (e.type !== "dir" || !e.name.startsWith(prefix)) continue;
    const cur = names.get(e.name) ?? { name: e.name, database: false, filestore: false };
    names.set(e.name, { ...cur, filestore: true });
  }
  return [...names.values()].sort((a, b) => b.name.localeCompare(a.name));
}

/** Drops one rollback copy (database and filestore). Refuses names that are not rollback copies. */
export async function dropRollback(conn: Connection, pg: PgTarget, filestoreRoot: string, name: string) {
  if (!/__rollback_\d{14}$/.test(name) || name.includes("/"))
    throw new AppError("E_VALIDATION", `${name} is not a rollback copy`);
  await dropDatabase(maintenanceDb(conn, pg), name);
  await conn.remove(`${filestoreRoot}/${name}`, { recursive: true });
}
