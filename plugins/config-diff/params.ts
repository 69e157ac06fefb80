import type { odoo } from "odoodeck/sdk";

/** Every ir_config_parameter of the instance's database, key → value (real values: mask before showing). */
export async function readParameters(db: odoo.OdooDb): Promise<Record<string, string | null>> {
  const rows = await db.query<{ key: string; value: string | null }>(
    "SELECT key, value FROM ir_config_parameter ORDER BY key",
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/**
 * Databases this server would offer, as Odoo 17's list_dbs finds them: owned by db_user, not
 * templates, not "postgres".
 */
export async function countListedDatabases(db: odoo.OdooDb): Promise<number> {
  const n = await db.scalar(
    `SELECT count(*) FROM pg_database
      WHERE datdba = (SELECT usesysid FROM pg_user WHERE usename = current_user)
        AND NOT datistemplate AND datallowconn AND datname <> 'postgres'`,
  );
  return Number(n ?? 0);
}
