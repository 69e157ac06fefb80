import { type InstanceHandle, isAppError, odoo, toAppError } from "odoodeck/sdk";
import { serverMemoryBytes } from "./host-memory.ts";
import { countListedDatabases, readParameters } from "./params.ts";

export interface ReadProblem {
  code: string;
  message: string;
  hint?: string;
}

/**
 * What odoodeck read from one instance, with REAL values: it stays inside the plugin. Pages and
 * API answers go through present.ts, snapshots through snapshots.ts, both of which mask.
 */
export interface InstanceConfig {
  instance: { id: number; name: string; production: boolean; publicUrl: string | null };
  confPath: string;
  conf: odoo.ParsedConf | null;
  confError: ReadProblem | null;
  /** Parser findings that came with a refused file (e.g. duplicates in a file without [options]). */
  confErrorWarnings: odoo.ConfFinding[];
  params: Record<string, string | null> | null;
  paramsError: ReadProblem | null;
  dbName: string | null;
  databaseCount: number | null;
  memoryBytes: number | null;
  /** addons_path entries the server does not have (the same check as the Modules tab); null when unknown. */
  badAddonsPaths: Array<{ path: string; problem: odoo.AddonsPathProblem }> | null;
}

const problem = (e: unknown): ReadProblem => {
  const err = toAppError(e);
  return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
};

/** Reads conf, parameters and host facts; every failure becomes a message, never a throw. */
export async function readInstanceConfig(
  inst: InstanceHandle,
  opts: { facts?: boolean } = {},
): Promise<InstanceConfig> {
  const out: InstanceConfig = {
    instance: { id: inst.id, name: inst.name, production: inst.production, publicUrl: inst.publicUrl },
    confPath: inst.confPath,
    conf: null,
    confError: null,
    confErrorWarnings: [],
    params: null,
    paramsError: null,
    dbName: inst.dbName,
    databaseCount: null,
    memoryBytes: null,
    badAddonsPaths: null,
  };
  let handle: Awaited<ReturnType<InstanceHandle["odoo"]>>;
  try {
    handle = await inst.odoo();
  } catch (e) {
    out.confError = problem(e);
    const w = isAppError(e) ? (e.details as { warnings?: odoo.ConfFinding[] } | undefined)?.warnings : null;
    if (Array.isArray(w)) out.confErrorWarnings = w;
    return out;
  }
  out.conf = handle.conf;
  out.dbName = handle.db.database;
  const tasks: Promise<unknown>[] = [];
  if (handle.settings.dbNames.length || inst.dbName)
    tasks.push(
      readParameters(handle.db).then(
        (p) => (out.params = p),
        (e) => (out.paramsError = problem(e)),
      ),
    );
  else
    out.paramsError = {
      code: "E_VALIDATION",
      message: "No database is known for this instance",
      hint: "Set db_name in odoo.conf or the database on the instance's settings",
    };
  tasks.push(
    inst
      .connection()
      .then((conn) => odoo.checkAddonsPaths(conn, handle.settings.addonsPaths))
      .then(
        (bad) => (out.badAddonsPaths = bad),
        () => {},
      ),
  );
  if (opts.facts)
    tasks.push(
      countListedDatabases(handle.db).then(
        (n) => (out.databaseCount = n),
        () => {},
      ),
      inst
        .connection()
        .then(serverMemoryBytes, () => null)
        .then((m) => (out.memoryBytes = m)),
    );
  await Promise.all(tasks);
  return out;
}
