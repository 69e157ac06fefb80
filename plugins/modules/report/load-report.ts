import { type InstanceHandle, toAppError } from "../../../server/sdk/index.ts";
import { type AddonsPathStatus, type AddonsScan, scanOdooAddons } from "../scan/addons-scan.ts";
import { moduleChecksum } from "../scan/checksum.ts";
import type { ChecksumStore } from "../store/checksum-store.ts";
import { mapLimit } from "../scan/concurrency.ts";
import { type DbModule, readDbModules } from "./db-modules.ts";
import { buildReport, LIVE_STATES, type ModuleStatus, type ReportSummary, summarize } from "./report.ts";
import { seriesOf } from "./versions.ts";

/** The series ("17.0") of the database, for data_dir/addons/<series>; null when unreadable. */
async function dbSeries(db: OdooHandle["db"]): Promise<string | null> {
  const v = await db
    .scalar("SELECT latest_version FROM ir_module_module WHERE name = 'base'")
    .catch(() => null);
  return seriesOf(v) ?? null;
}

type OdooHandle = Awaited<ReturnType<InstanceHandle["odoo"]>>;

export interface SectionError {
  section: "conf" | "database" | "addons" | "checksums";
  code: string;
  message: string;
  hint?: string;
}

export interface ModulesReport {
  instanceId: number;
  instanceName: string;
  production: boolean;
  dbName: string | null;
  /** null when the database could not be read (see errors). */
  modules: ModuleStatus[] | null;
  summary: ReportSummary | null;
  addonsPaths: AddonsPathStatus[];
  errors: SectionError[];
}

const asError = (section: SectionError["section"], e: unknown): SectionError => {
  const err = toAppError(e);
  return { section, code: err.code, message: err.message, hint: err.hint };
};

/**
 * Everything the modules page shows, each part on its own: an unreachable database still leaves
 * the addons paths listed, a bad addons path still leaves the database list.
 */
export async function loadModulesReport(
  inst: InstanceHandle,
  store: ChecksumStore,
  opts: { skipStatic?: boolean } = {},
): Promise<ModulesReport> {
  const report: ModulesReport = {
    instanceId: inst.id,
    instanceName: inst.name,
    production: inst.production,
    dbName: inst.dbName,
    modules: null,
    summary: null,
    addonsPaths: [],
    errors: [],
  };
  let odoo: Awaited<ReturnType<InstanceHandle["odoo"]>>;
  try {
    odoo = await inst.odoo();
  } catch (e) {
    report.errors.push(asError("conf", e));
    return report;
  }
  report.dbName = odoo.db.database;
  const conn = odoo.db.conn;
  // The modules query runs beside the series query and the addons scan that needs the series.
  const [dbResult, scanResult] = await Promise.allSettled([
    readDbModules(odoo.db),
    dbSeries(odoo.db).then((series) => scanOdooAddons(conn, odoo.settings, series)),
  ]);
  let dbModules: DbModule[] | null = null;
  if (dbResult.status === "fulfilled") dbModules = dbResult.value;
  else report.errors.push(asError("database", dbResult.reason));
  let scan: AddonsScan | null = null;
  if (scanResult.status === "fulfilled") scan = scanResult.value;
  else report.errors.push(asError("addons", scanResult.reason));
  if (scan) {
    report.addonsPaths = scan.paths;
    for (const p of scan.paths) if (p.error) report.errors.push({ section: "addons", ...p.error });
    // When no path could be read, "missing" would flag every module: treat it as unknown instead.
    if (scan.paths.every((p) => p.error)) scan = null;
  }
  if (!odoo.settings.addonsPaths.length) {
    report.errors.push({
      section: "addons",
      code: "E_CONF_INVALID",
      message: "odoo.conf has no addons_path: modules on disk cannot be checked",
      hint: "Set addons_path in odoo.conf so odoodeck can compare versions and find missing modules",
    });
  }
  if (!dbModules) return report;

  const recorded = await store.forInstance(inst.id);
  const current = new Map<string, string>();
  const toHash = dbModules.filter(
    (m) => LIVE_STATES.has(m.state) && recorded.has(m.name) && scan?.modules.has(m.name),
  );
  try {
    await mapLimit(toHash, 4, async (m) => {
      current.set(m.name, await moduleChecksum(conn, scan!.modules.get(m.name)!.dir, opts));
    });
  } catch (e) {
    report.errors.push(asError("checksums", e));
  }
  report.modules = buildReport(dbModules, scan, recorded, current);
  report.summary = summarize(report.modules);
  return report;
}

/** Checksums of the given modules as they are on disk now (for "record as deployed" and after upgrades). */
export async function currentChecksums(
  inst: InstanceHandle,
  modules: Array<
    Pick<ModuleStatus, "name"> & Partial<Pick<ModuleStatus, "diskVersion" | "installedVersion">>
  >,
  opts: { skipStatic?: boolean } = {},
): Promise<Array<{ module: string; checksum: string; version: string | null }>> {
  const { settings, db } = await inst.odoo();
  const conn = await inst.connection();
  const scan = await scanOdooAddons(conn, settings, await dbSeries(db));
  const present = modules.filter((m) => scan.modules.has(m.name));
  return mapLimit(present, 4, async (m) => ({
    module: m.name,
    checksum: await moduleChecksum(conn, scan.modules.get(m.name)!.dir, opts),
    version: m.diskVersion ?? m.installedVersion ?? null,
  }));
}
