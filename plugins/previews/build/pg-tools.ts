/**
 * PostgreSQL work done on the instance's server with its own credentials (the conf's db_*):
 * copying a database with pg_dump/pg_restore, cloning a template, dropping.
 */
import { AppError, type Connection, type odoo } from "../../../server/sdk/index.ts";

/** Database names odoodeck makes here are lower-case words: nothing to quote wrongly. */
export function ident(name: string): string {
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new AppError("E_VALIDATION", `Invalid database name ${name}`);
  return `"${name}"`;
}

/** libpq flags and environment of a database handle (the password only in the environment). */
function libpq(db: odoo.OdooDb): { args: string[]; env: Record<string, string> } {
  const t = db.target;
  const args = ["-p", String(t.port)];
  if (t.host) args.push("-h", t.host);
  if (t.user) args.push("-U", t.user);
  const env: Record<string, string> = { PGCONNECT_TIMEOUT: "10", LC_MESSAGES: "C" };
  if (t.password) env.PGPASSWORD = t.password;
  if (t.sslmode) env.PGSSLMODE = t.sslmode;
  return { args, env };
}

async function run(conn: Connection, argv: string[], env: Record<string, string>, signal?: AbortSignal) {
  const res = await conn.exec(argv, { env, signal, timeoutMs: 6 * 3600_000 });
  if (res.code !== 0)
    throw new AppError("E_COMMAND_FAILED", `${argv[0]} failed: ${res.stderr.trim().slice(-500)}`, {
      hint: "pg_dump/pg_restore must be installed on the server and at least the server's version",
    });
  return res.stdout;
}

/**
 * Copies `source` into a new database `target` through a dump file in `workDir` (removed after):
 * a live production database cannot serve as a CREATE DATABASE template while it has sessions.
 */
export async function copyDatabase(
  conn: Connection,
  admin: odoo.OdooDb,
  source: string,
  target: string,
  workDir: string,
  signal?: AbortSignal,
): Promise<void> {
  const { args, env } = libpq(admin);
  const dump = `${workDir}/${target}.dump`;
  const list = `${workDir}/${target}.toc`;
  try {
    await run(conn, ["pg_dump", ...args, "-Fc", "-f", dump, "-d", source], env, signal);
    await admin.query(`CREATE DATABASE ${ident(target)}`);
    // COMMENT ON EXTENSION needs the extension's owner: a non-superuser restore skips it.
    const toc = (await run(conn, ["pg_restore", "-l", dump], env, signal))
      .split("\n")
      .filter((l) => !/ COMMENT - EXTENSION /.test(l));
    await conn.writeFile(list, toc.join("\n"));
    await run(
      conn,
      ["pg_restore", ...args, "--no-owner", "--no-acl", "-L", list, "-d", target, dump],
      env,
      signal,
    );
  } finally {
    await conn.remove(dump).catch(() => {});
    await conn.remove(list).catch(() => {});
  }
}

export async function databaseExists(admin: odoo.OdooDb, name: string): Promise<boolean> {
  return (await admin.scalar("SELECT count(*) FROM pg_database WHERE datname = :'n'", { n: name })) === "1";
}

/** Drops a database (a template is unmarked first: PostgreSQL refuses to drop one). */
export async function dropDatabase(admin: odoo.OdooDb, name: string): Promise<void> {
  if (!(await databaseExists(admin, name))) return;
  await admin.query(`ALTER DATABASE ${ident(name)} IS_TEMPLATE false ALLOW_CONNECTIONS true`);
  await admin.query(
    // Client sessions only: an autovacuum worker on a fresh clone belongs to the superuser (the
    // instance's role may not terminate it) and DROP DATABASE stops it by itself.
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = :'n' AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    { n: name },
  );
  await admin.query(`DROP DATABASE IF EXISTS ${ident(name)}`);
}

/** Marks a template: clonable, and nobody connects to it (a session would block every clone). */
export async function markTemplate(admin: odoo.OdooDb, name: string): Promise<void> {
  await admin.query(`ALTER DATABASE ${ident(name)} IS_TEMPLATE true ALLOW_CONNECTIONS false`);
}

/** A preview's database: a copy of the template made by PostgreSQL (no dump and restore). */
export async function cloneTemplate(
  admin: odoo.OdooDb,
  template: string,
  target: string,
  strategy: "FILE_COPY" | "WAL_LOG" = "WAL_LOG",
): Promise<number> {
  const t0 = performance.now();
  await admin.query(`CREATE DATABASE ${ident(target)} TEMPLATE ${ident(template)} STRATEGY ${strategy}`);
  return (performance.now() - t0) / 1000;
}
