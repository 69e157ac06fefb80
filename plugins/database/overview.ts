import type { odoo } from "../../server/sdk/index.ts";

export interface RelationSize {
  name: string;
  bytes: number;
  /** For indexes: the table it belongs to. */
  table?: string;
}

export interface DbOverview {
  database: string;
  postgresVersion: string;
  sizeBytes: number;
  largestTables: RelationSize[];
  largestIndexes: RelationSize[];
}

/** PostgreSQL facts about the database; needs no Odoo table. */
export async function readOverview(db: odoo.OdooDb, limit = 10): Promise<DbOverview> {
  const [head] = await db.query<{ version: string; size: string }>(
    "SELECT current_setting('server_version') AS version, pg_database_size(current_database()) AS size",
  );
  const tables = await db.query<{ name: string; bytes: string }>(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 2 DESC, 1 LIMIT :'limit'`,
    { limit },
  );
  const indexes = await db.query<{ name: string; bytes: string; tbl: string }>(
    `SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes, t.relname AS tbl
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_index i ON i.indexrelid = c.oid JOIN pg_class t ON t.oid = i.indrelid
      WHERE c.relkind = 'i' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      ORDER BY 2 DESC, 1 LIMIT :'limit'`,
    { limit },
  );
  return {
    database: db.database,
    postgresVersion: head.version,
    sizeBytes: Number(head.size),
    largestTables: tables.map((r) => ({ name: r.name, bytes: Number(r.bytes) })),
    largestIndexes: indexes.map((r) => ({ name: r.name, bytes: Number(r.bytes), table: r.tbl })),
  };
}

/** True when the database has Odoo's module table. */
export async function isOdooDb(db: odoo.OdooDb): Promise<boolean> {
  return (await db.scalar("SELECT to_regclass('public.ir_module_module') IS NOT NULL")) === "t";
}

export async function odooVersion(db: odoo.OdooDb): Promise<string | null> {
  return db.scalar("SELECT latest_version FROM ir_module_module WHERE name = 'base'");
}
