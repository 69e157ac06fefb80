import { AppError, odoo } from "../../server/sdk/index.ts";

/**
 * VACUUM ANALYZE one table. The name is looked up in the catalog and the identifier PostgreSQL
 * returns (quote_ident) is what runs: user input never becomes SQL text.
 */
export async function vacuumTable(
  db: odoo.OdooDb,
  table: string,
): Promise<{ table: string; lastVacuum: string | null }> {
  const [row] = await db.query<{ ident: string; allowed: string }>(
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS ident,
            pg_has_role(current_user, c.relowner, 'MEMBER') AS allowed
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = :'t' AND n.nspname = 'public' AND c.relkind IN ('r', 'm')`,
    { t: table },
  );
  if (!row)
    throw new AppError("E_NOT_FOUND", `No table "${table}" in ${db.database}`, {
      hint: "Pick a table from the list",
    });
  if (row.allowed !== "t")
    throw new AppError("E_PERMISSION", `The database user may not vacuum ${table}`, {
      hint: "Only the table's owner (or a superuser) can vacuum it; run it as the owner",
    });
  // VACUUM cannot run in a transaction: psql sends this single statement in autocommit mode.
  const long = new odoo.OdooDb(db.conn, db.target, { timeoutMs: 60 * 60_000 });
  await long.query(`VACUUM (ANALYZE) ${row.ident}`);
  const last = await db.scalar(
    "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = :'t' AND schemaname = 'public'",
    {
      t: table,
    },
  );
  return { table, lastVacuum: last };
}

/** pg_cancel_backend for a backend of this database only. */
export async function cancelQuery(
  db: odoo.OdooDb,
  pidInput: string | number,
): Promise<{ pid: number; cancelled: boolean }> {
  const pid = Number(pidInput);
  if (!Number.isInteger(pid) || pid <= 0)
    throw new AppError("E_VALIDATION", `"${pidInput}" is not a process id`);
  const [row] = await db.query<{ ok: string }>(
    `SELECT pg_cancel_backend(pid) AS ok FROM pg_stat_activity
      WHERE pid = :'pid'::int AND datname = current_database() AND pid <> pg_backend_pid()`,
    { pid },
  );
  if (!row)
    throw new AppError("E_NOT_FOUND", `No query with pid ${pid} in ${db.database}`, {
      hint: "It may have finished already, or it belongs to another database",
    });
  return { pid, cancelled: row.ok === "t" };
}

/** `<db>__rollback_*` copies a restore left behind. */
export async function listRollbackCopies(
  db: odoo.OdooDb,
): Promise<Array<{ name: string; sizeBytes: number }>> {
  const rows = await db.query<{ name: string; size: string }>(
    `SELECT datname AS name, pg_database_size(datname) AS size FROM pg_database
      WHERE left(datname, length(:'prefix')) = :'prefix' ORDER BY datname`,
    { prefix: `${db.database}__rollback_` },
  );
  return rows.map((r) => ({ name: r.name, sizeBytes: Number(r.size) }));
}

/** Drops one rollback copy of this database (never anything else); the caller checks role and confirmation. */
export async function dropRollbackCopy(db: odoo.OdooDb, name: string): Promise<{ dropped: string }> {
  if (!name.startsWith(`${db.database}__rollback_`) || name.length <= `${db.database}__rollback_`.length)
    throw new AppError("E_VALIDATION", `"${name}" is not a rollback copy of ${db.database}`, {
      hint: `Only databases named ${db.database}__rollback_* can be dropped here`,
    });
  const admin = db.withDatabase("postgres");
  const ident = await admin.scalar("SELECT quote_ident(datname) FROM pg_database WHERE datname = :'n'", {
    n: name,
  });
  if (!ident) throw new AppError("E_NOT_FOUND", `No database "${name}"`);
  await admin.query(`DROP DATABASE ${ident}`);
  return { dropped: name };
}
