import { toAppError } from "../errors.ts";
import { type OdooRelease, odooRelease } from "../odoo/odoo-release.ts";
import type { DatabaseInfo } from "../odoo/pg.ts";
import type { InstanceRow, Registry } from "./registry.ts";

type Problem = { code: string; message: string; hint?: string };

/** What the overview shows about an instance; each part fails on its own with a clear error. */
export interface InstanceStatus {
  /** `errors`: findings that keep Odoo from starting (a duplicate option…); the file was still read. */
  conf: { ok: true; warnings: string[]; errors: string[] } | { ok: false; error: Problem };
  db: { ok: true; name: string } | { ok: false; name: string | null; error: Problem } | null;
  /** Odoo's own version ("17.0-20240709"), from its log or its web server. */
  odooRelease: OdooRelease | null;
  /** The base module's version in the database ("17.0.1.3"): what the database was last updated to. */
  odooVersion: string | null;
  dbSizeBytes: number | null;
  installedModules: number | null;
  settings: {
    dbHost: string | null;
    dbPort: number;
    dbUser: string | null;
    dataDir: string;
    filestore: string | null;
    addonsPaths: string[];
    logfile: string | null;
    httpPort: number;
    workers: number;
  } | null;
}

const problem = (e: unknown): Problem => toAppError(e).toJSON();

export async function instanceStatus(registry: Registry, row: InstanceRow): Promise<InstanceStatus> {
  const out: InstanceStatus = {
    conf: { ok: false, error: { code: "E_INTERNAL", message: "not checked" } },
    db: null,
    odooRelease: null,
    odooVersion: null,
    dbSizeBytes: null,
    installedModules: null,
    settings: null,
  };
  let odoo: Awaited<ReturnType<Registry["odoo"]>>;
  try {
    odoo = await registry.odoo(row);
  } catch (e) {
    await registry.noteFailure(row.server_id, e);
    out.conf = { ok: false, error: problem(e) };
    return out;
  }
  const { conf, settings, db } = odoo;
  const text = (w: (typeof conf.warnings)[number]) => (w.line ? `line ${w.line}: ${w.message}` : w.message);
  out.conf = {
    ok: true,
    warnings: conf.warnings.filter((w) => w.severity !== "error").map(text),
    errors: conf.warnings.filter((w) => w.severity === "error").map(text),
  };
  const name = row.db_name ?? settings.dbNames[0] ?? null;
  const release = registry
    .connection(row.server_id)
    .then((conn) => odooRelease(conn, settings, row.public_url))
    .catch(() => null);
  out.settings = {
    dbHost: settings.dbHost,
    dbPort: settings.dbPort,
    dbUser: settings.dbUser,
    dataDir: settings.dataDir,
    filestore: name ? settings.filestorePath(name) : null,
    addonsPaths: settings.addonsPaths,
    logfile: settings.logfile,
    httpPort: settings.httpPort,
    workers: settings.workers,
  };
  if (!name) {
    out.odooRelease = await release;
    out.db = {
      ok: false,
      name: null,
      error: {
        code: "E_VALIDATION",
        message: "No database is set for this instance, and odoo.conf has no db_name",
        hint: "Use “Discover databases” below and pick one",
      },
    };
    return out;
  }
  try {
    const info = await db.odooInfo();
    const size = await db.scalar("SELECT pg_database_size(current_database())");
    out.db = { ok: true, name };
    out.odooVersion = info.version;
    out.installedModules = info.installedModules;
    out.dbSizeBytes = size == null ? null : Number(size);
  } catch (e) {
    out.db = { ok: false, name, error: problem(e) };
  }
  out.odooRelease = await release;
  return out;
}

/** Databases the instance's PostgreSQL user can see, with size and Odoo version. */
export async function instanceDatabases(registry: Registry, row: InstanceRow): Promise<DatabaseInfo[]> {
  const { db } = await registry.odoo(row);
  return db.withDatabase("postgres").listDatabases();
}
