import { AppError, type odoo } from "../../../server/sdk/index.ts";

/** A row of ir_module_module with its dependencies. */
export interface DbModule {
  name: string;
  state: string;
  /** The version installed (ir_module_module.latest_version); null when never installed. */
  version: string | null;
  title: string | null;
  author: string | null;
  license: string | null;
  depends: string[];
}

/**
 * Every module the database knows, with dependencies. E_NOT_ODOO when the database has no
 * ir_module_module; connection problems surface as E_DB_UNREACHABLE / E_DB_AUTH from OdooDb.
 */
export async function readDbModules(db: odoo.OdooDb): Promise<DbModule[]> {
  const isOdoo = await db.scalar("SELECT to_regclass('public.ir_module_module') IS NOT NULL");
  if (isOdoo !== "t")
    throw new AppError("E_NOT_ODOO", `Database "${db.database}" is not an Odoo database`, {
      hint: "It has no ir_module_module table: check db_name in odoo.conf or the instance's database",
    });
  const rows = await db.query<{
    name: string;
    state: string;
    version: string | null;
    title: string | null;
    author: string | null;
    license: string | null;
    depends: string | null;
  }>(
    `SELECT m.name, m.state, m.latest_version AS version,
            COALESCE(m.shortdesc->>'en_US', m.shortdesc::text) AS title, m.author, m.license,
            (SELECT string_agg(d.name, ',' ORDER BY d.name) FROM ir_module_module_dependency d
              WHERE d.module_id = m.id) AS depends
       FROM ir_module_module m ORDER BY m.name`,
  );
  return rows.map((r) => ({ ...r, depends: r.depends ? r.depends.split(",") : [] }));
}

/** Reverse edges: module → modules that depend on it. */
export function dependantsOf(modules: DbModule[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of modules)
    for (const d of m.depends) {
      const list = out.get(d) ?? [];
      list.push(m.name);
      out.set(d, list);
    }
  return out;
}
