import { AppError, type InstanceHandle, toAppError } from "../../server/sdk/index.ts";
import { type FilestoreReport, readFilestore } from "./filestore.ts";
import {
  type ActivityRow,
  type OdooHealth,
  readActivity,
  readOdooHealth,
  readTableStats,
  type TableStat,
} from "./health.ts";
import { listRollbackCopies } from "./maintenance.ts";
import { type DbOverview, isOdooDb, odooVersion, readOverview } from "./overview.ts";

export interface SectionError {
  section: string;
  code: string;
  message: string;
  hint?: string;
}

export interface DatabaseReport {
  instanceId: number;
  instanceName: string;
  production: boolean;
  dbName: string | null;
  odooVersion: string | null;
  overview: DbOverview | null;
  filestore: FilestoreReport | null;
  health: OdooHealth | null;
  activity: ActivityRow[] | null;
  tables: TableStat[] | null;
  rollbackCopies: Array<{ name: string; sizeBytes: number }> | null;
  errors: SectionError[];
}

export type SectionName =
  | "overview"
  | "activity"
  | "tables"
  | "rollback copies"
  | "odoo"
  | "health"
  | "filestore";

/**
 * Every section is read on its own: a database that is not Odoo still shows its PostgreSQL facts,
 * a missing filestore still leaves the crons listed. `only` reads just those sections (the page
 * loads each card on its own, so a slow filestore walk does not hold the page back).
 */
export async function loadDatabaseReport(
  inst: InstanceHandle,
  only?: ReadonlyArray<SectionName>,
): Promise<DatabaseReport> {
  const r: DatabaseReport = {
    instanceId: inst.id,
    instanceName: inst.name,
    production: inst.production,
    dbName: inst.dbName,
    odooVersion: null,
    overview: null,
    filestore: null,
    health: null,
    activity: null,
    tables: null,
    rollbackCopies: null,
    errors: [],
  };
  const fail = (section: string, e: unknown) => {
    const err = toAppError(e);
    r.errors.push({ section, code: err.code, message: err.message, hint: err.hint });
  };
  let o: Awaited<ReturnType<InstanceHandle["odoo"]>>;
  try {
    o = await inst.odoo();
  } catch (e) {
    fail("conf", e);
    return r;
  }
  const db = o.db;
  r.dbName = db.database;
  // One probe first: if PostgreSQL cannot be reached, say it once rather than once per section.
  let odoo: boolean;
  try {
    odoo = await isOdooDb(db);
  } catch (e) {
    fail("database", e);
    return r;
  }
  let sections: Array<[SectionName, () => Promise<void>]> = [
    ["overview", async () => void (r.overview = await readOverview(db))],
    ["activity", async () => void (r.activity = await readActivity(db))],
    ["tables", async () => void (r.tables = await readTableStats(db))],
    ["rollback copies", async () => void (r.rollbackCopies = await listRollbackCopies(db))],
  ];
  if (odoo) {
    sections.push(
      ["odoo", async () => void (r.odooVersion = await odooVersion(db))],
      ["health", async () => void (r.health = await readOdooHealth(db))],
      [
        "filestore",
        async () =>
          void (r.filestore = await readFilestore(db.conn, db, o.settings.filestorePath(db.database))),
      ],
    );
  } else if (!only || only.includes("odoo")) {
    fail(
      "odoo",
      new AppError("E_NOT_ODOO", `Database "${db.database}" is not an Odoo database`, {
        hint: "It has no ir_module_module table: only the PostgreSQL facts are shown. Check db_name in odoo.conf",
      }),
    );
  }
  if (only) sections = sections.filter(([name]) => only.includes(name));
  const results = await Promise.allSettled(sections.map(([, fn]) => fn()));
  results.forEach((res, i) => {
    if (res.status === "rejected") fail(sections[i][0], res.reason);
  });
  return r;
}
