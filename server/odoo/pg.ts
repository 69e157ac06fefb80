import type { Connection } from "../connections/types.ts";
import { AppError, isAppError } from "../errors.ts";
import { csvToObjects } from "./csv.ts";
import type { InstanceSettings } from "./instance-settings.ts";
import { psqlError, psqlMissing } from "./pg-errors.ts";

/** Where an Odoo database lives, as odoo.conf describes it. */
export interface DbTarget {
  /** null: the local Unix socket. */
  host: string | null;
  port: number;
  /** null: libpq's default (the OS user running the command). */
  user: string | null;
  password: string | null;
  sslmode?: string;
  /** Database used by query(); defaults to "postgres". */
  database?: string;
}

export type SqlParam = string | number | boolean | bigint;
export type Row = Record<string, string | null>;

export interface DatabaseInfo {
  name: string;
  sizeBytes: number;
  owner: string;
  /** null when the database could not be opened (no CONNECT privilege…). */
  isOdoo: boolean | null;
  odooVersion: string | null;
}

export interface OdooInfo {
  version: string | null;
  installedModules: number;
  users: number;
  partners: number;
  storedAttachments: number;
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Database access through a Connection by running `psql` on the server itself, so it works over
 * SSH without opening the PostgreSQL port. Values are passed as psql variables (`-v name=value`,
 * used as `:'name'` in the SQL): psql quotes them, nothing is pasted into SQL. The password goes
 * in PGPASSWORD, never on the command line.
 *
 * @example
 * const db = OdooDb.fromSettings(conn, settings).withDatabase("acme_prod");
 * const rows = await db.query("SELECT name FROM ir_module_module WHERE state = :'state'", { state: "installed" });
 */
export class OdooDb {
  constructor(
    readonly conn: Connection,
    readonly target: DbTarget,
    readonly opts: { psql?: string; timeoutMs?: number } = {},
  ) {}

  static fromSettings(conn: Connection, s: InstanceSettings, database?: string): OdooDb {
    return new OdooDb(conn, {
      host: s.dbHost,
      port: s.dbPort,
      user: s.dbUser,
      password: s.dbPassword,
      sslmode: s.dbSslmode,
      database: database ?? s.dbNames[0],
    });
  }

  get database(): string {
    return this.target.database ?? "postgres";
  }

  withDatabase(database: string): OdooDb {
    return new OdooDb(this.conn, { ...this.target, database }, this.opts);
  }

  /** "host:port" for messages; never contains the password. */
  get label(): string {
    return `${this.target.host ?? "local socket"}:${this.target.port}`;
  }

  /** Runs one SQL statement; rows come back as objects of strings (null for SQL NULL). */
  async query<T = Row>(sql: string, params: Record<string, SqlParam> = {}): Promise<T[]> {
    const t = this.target;
    // psql prints NULL and '' alike in CSV; a random null display tells them apart.
    const nullToken = `NULL-${crypto.randomUUID()}`;
    const argv = [
      this.opts.psql ?? "psql",
      "-X",
      "-q",
      "--csv",
      "-P",
      `null=${nullToken}`,
      "-v",
      "ON_ERROR_STOP=1",
      "-p",
      String(t.port),
      "-d",
      this.database,
    ];
    if (t.host) argv.push("-h", t.host);
    if (t.user) argv.push("-U", t.user);
    for (const [name, value] of Object.entries(params)) {
      if (!PARAM_NAME.test(name)) throw new AppError("E_VALIDATION", `Invalid SQL parameter name: ${name}`);
      argv.push("-v", `${name}=${String(value)}`);
    }
    argv.push("-f", "-");
    const env: Record<string, string> = { LC_MESSAGES: "C", PGCONNECT_TIMEOUT: "10", PGAPPNAME: "odoodeck" };
    if (t.password) env.PGPASSWORD = t.password;
    if (t.sslmode) env.PGSSLMODE = t.sslmode;
    let res: Awaited<ReturnType<Connection["exec"]>>;
    try {
      res = await this.conn.exec(argv, { stdin: sql, env, timeoutMs: this.opts.timeoutMs ?? 120_000 });
    } catch (e) {
      if (
        isAppError(e) &&
        (e.code === "E_FILE_NOT_FOUND" || (e.code === "E_COMMAND_FAILED" && / not found on /.test(e.message)))
      )
        throw psqlMissing(this.conn.label);
      if ((e as NodeJS.ErrnoException)?.code === "ENOENT") throw psqlMissing(this.conn.label);
      throw e;
    }
    if (
      res.code === 127 ||
      (res.code !== 0 &&
        /psql: (command )?not found|No such file or directory.*psql|executable file not found/i.test(
          res.stderr,
        ))
    ) {
      throw psqlMissing(this.conn.label);
    }
    if (res.code !== 0) throw psqlError(res.stderr, { db: this.database, target: this.label });
    return csvToObjects<T>(res.stdout, nullToken);
  }

  /** The first column of the first row, or null. */
  async scalar(sql: string, params?: Record<string, SqlParam>): Promise<string | null> {
    const rows = await this.query(sql, params);
    const first = rows[0];
    return first ? (Object.values(first)[0] ?? null) : null;
  }

  /** server_version_num, e.g. 150018. */
  async serverVersion(): Promise<number> {
    return Number(await this.scalar("SHOW server_version_num"));
  }

  async listDatabases(): Promise<DatabaseInfo[]> {
    const rows = await this.query<{ name: string; size: string; owner: string }>(
      `SELECT d.datname AS name, pg_database_size(d.datname) AS size, r.rolname AS owner
         FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
        WHERE NOT d.datistemplate AND d.datallowconn AND has_database_privilege(d.datname, 'CONNECT')
        ORDER BY d.datname`,
    );
    const out: DatabaseInfo[] = [];
    // A few at a time: each probe is one psql process on the server.
    for (let i = 0; i < rows.length; i += 4) {
      const batch = rows.slice(i, i + 4);
      out.push(...(await Promise.all(batch.map((r) => this.probe(r)))));
    }
    return out;
  }

  private async probe(r: { name: string; size: string; owner: string }): Promise<DatabaseInfo> {
    const base = { name: r.name, sizeBytes: Number(r.size), owner: r.owner };
    try {
      // query_to_xml only runs when the table exists, so non-Odoo databases do not error.
      const row = (
        await this.withDatabase(r.name).query<{ is_odoo: string; version: string | null }>(
          `SELECT to_regclass('public.ir_module_module') IS NOT NULL AS is_odoo,
                CASE WHEN to_regclass('public.ir_module_module') IS NOT NULL THEN
                  (xpath('/row/v/text()', query_to_xml('SELECT latest_version AS v FROM ir_module_module WHERE name = ''base''', false, true, '')))[1]::text
                END AS version`,
        )
      )[0];
      return { ...base, isOdoo: row?.is_odoo === "t", odooVersion: row?.version ?? null };
    } catch {
      return { ...base, isOdoo: null, odooVersion: null };
    }
  }

  /** Facts about an Odoo database (default: the one this OdooDb points at); E_NOT_ODOO if it is not one. */
  async odooInfo(db?: string): Promise<OdooInfo> {
    if (db !== undefined && db !== this.database) return this.withDatabase(db).odooInfo();
    const isOdoo = await this.scalar("SELECT to_regclass('public.ir_module_module') IS NOT NULL");
    if (isOdoo !== "t") {
      throw new AppError("E_NOT_ODOO", `Database "${this.database}" is not an Odoo database`, {
        hint: "It has no ir_module_module table: check db_name in odoo.conf",
      });
    }
    const [r] = await this.query<Record<string, string>>(
      `SELECT (SELECT latest_version FROM ir_module_module WHERE name = 'base') AS version,
              (SELECT count(*) FROM ir_module_module WHERE state = 'installed') AS modules,
              (SELECT count(*) FROM res_users) AS users,
              (SELECT count(*) FROM res_partner) AS partners,
              (SELECT count(*) FROM ir_attachment WHERE store_fname IS NOT NULL) AS attachments`,
    );
    return {
      version: r.version ?? null,
      installedModules: Number(r.modules),
      users: Number(r.users),
      partners: Number(r.partners),
      storedAttachments: Number(r.attachments),
    };
  }
}

/** `pg_dump --version` → { major: 15, version: "15.18" }; null when the tool is not installed. */
export async function toolVersion(
  conn: Connection,
  tool: "pg_dump" | "pg_restore" | "psql",
): Promise<{ major: number; version: string } | null> {
  let res: Awaited<ReturnType<Connection["exec"]>>;
  try {
    res = await conn.exec([tool, "--version"], { timeoutMs: 15_000 });
  } catch {
    return null;
  }
  if (res.code !== 0) return null;
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(res.stdout);
  if (!m) return null;
  return { major: Number(m[1]), version: m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1] };
}
