import { AppError, type odoo } from "../../server/sdk/index.ts";

/** pg_cancel_backend for a backend of this database only. */
export async function cancelQuery(
  db: odoo.OdooDb,
  pidInput: string | number,
): Promise<{ pid: number; cancelled: boolean }> {
  const pid = Number(pidInput);
  if (!Number.isInteger(pid) || pid <= 0)
    throw new AppError("E_VALIDATION", `"${pidInput}" is not a process id`);
  const [row] = await db
    .query<{ ok: string }>(
      `SELECT pg_cancel_backend(pid) AS ok FROM pg_stat_activity
        WHERE pid = :'pid'::int AND datname = current_database() AND pid <> pg_backend_pid()`,
      { pid },
    )
    .catch((e) => {
      // Another role's query (a superuser's, or without pg_signal_backend): PostgreSQL refuses.
      if (/must be a (superuser|member of the role)|permission denied to cancel/i.test(String(e?.message)))
        throw new AppError(
          "E_PERMISSION",
          `The database user may not cancel pid ${pid}: it belongs to another role`,
          {
            hint: "Cancel it as that role or a superuser, or grant pg_signal_backend to the Odoo role",
          },
        );
      throw e;
    });
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

/** Checks `name` is a rollback copy of this database: `<db>__rollback_<digits>`, nothing else. */
export function checkRollbackName(db: string, name: string): string {
  const prefix = `${db}__rollback_`;
  if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length)) || name.includes("/"))
    throw new AppError("E_VALIDATION", `"${name}" is not a rollback copy of ${db}`, {
      hint: `Only databases named ${prefix}<timestamp> can be dropped here`,
    });
  return name;
}

/**
 * Drops one rollback copy of this database and the filestore folder a restore kept beside it
 * (`<filestoreRoot>/<name>`). The caller checks role, confirmation and the instance lock.
 */
export async function dropRollbackCopy(
  db: odoo.OdooDb,
  name: string,
  filestoreRoot: string,
  log: (line: string) => void = () => {},
): Promise<{ dropped: string; filestoreRemoved: boolean }> {
  checkRollbackName(db.database, name);
  const admin = db.withDatabase("postgres");
  const ident = await admin.scalar("SELECT quote_ident(datname) FROM pg_database WHERE datname = :'n'", {
    n: name,
  });
  const folder = `${filestoreRoot}/${name}`;
  const filestoreRemoved = !!(await db.conn.stat(folder, { lstat: true }));
  // A files-only restore keeps only the filestore aside: that copy is dropped too.
  if (!ident && !filestoreRemoved) throw new AppError("E_NOT_FOUND", `No database "${name}"`);
  if (ident) {
    await admin.query(`DROP DATABASE ${ident}`);
    log(`dropped database ${name}`);
  }
  if (filestoreRemoved) {
    await db.conn.remove(folder, { recursive: true });
    log(`removed ${folder}`);
  }
  return { dropped: name, filestoreRemoved };
}
