import type { odoo } from "../../server/sdk/index.ts";

export interface CronStatus {
  id: number;
  name: string;
  active: boolean;
  lastCall: string | null;
  nextCall: string | null;
  /** Active and its next call is more than an hour in the past: the cron workers are not running it. */
  overdue: boolean;
  /** Failure count (ir_cron.failure_count, Odoo 18+) or errors naming it in ir_logging. */
  failures: number;
}

export interface OdooHealth {
  crons: CronStatus[];
  activeCrons: number;
  overdueCrons: number;
  failingCrons: number;
  mailQueue: Record<string, number>;
  logErrors: Array<{ at: string; level: string; name: string; message: string }>;
  logErrorCount: number;
}

/** ISO 8601 in UTC, for to_char. */
const ISO = 'YYYY-MM-DD"T"HH24:MI:SS"Z"';

const hasColumn = async (db: odoo.OdooDb, table: string, column: string) =>
  (await db.scalar(
    "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = :'t' AND column_name = :'c'",
    { t: table, c: column },
  )) === "1";

/** Crons, the outgoing mail queue and logged errors, read from the Odoo database. */
export async function readOdooHealth(db: odoo.OdooDb): Promise<OdooHealth> {
  const failureCol = await hasColumn(db, "ir_cron", "failure_count");
  // Odoo stores naive UTC timestamps.
  const crons = await db.query<Record<string, string>>(
    `SELECT c.id, c.cron_name AS name, c.active,
            to_char(c.lastcall, :'iso') AS lastcall, to_char(c.nextcall, :'iso') AS nextcall,
            (c.active AND c.nextcall < (now() AT TIME ZONE 'UTC') - interval '1 hour') AS overdue,
            ${failureCol ? "COALESCE(c.failure_count, 0)" : "0"} +
            (SELECT count(*) FROM ir_logging l WHERE l.level IN ('ERROR', 'CRITICAL')
                AND l.create_date > (now() AT TIME ZONE 'UTC') - interval '7 days'
                AND l.message LIKE '%' || c.cron_name || '%') AS failures
       FROM ir_cron c ORDER BY c.active DESC, c.nextcall`,
    { iso: ISO },
  );
  const mail = await db.query<{ state: string; n: string }>(
    "SELECT COALESCE(state, 'unknown') AS state, count(*) AS n FROM mail_mail GROUP BY 1 ORDER BY 1",
  );
  const errCount = Number(
    await db.scalar("SELECT count(*) FROM ir_logging WHERE level IN ('ERROR', 'CRITICAL')"),
  );
  const errs = await db.query<{ at: string; level: string; name: string; message: string }>(
    `SELECT create_date AS at, level, name, left(message, 500) AS message FROM ir_logging
      WHERE level IN ('ERROR', 'CRITICAL') ORDER BY create_date DESC LIMIT 20`,
  );
  const list: CronStatus[] = crons.map((r) => ({
    id: Number(r.id),
    name: r.name,
    active: r.active === "t",
    lastCall: r.lastcall,
    nextCall: r.nextcall,
    overdue: r.overdue === "t",
    failures: Number(r.failures),
  }));
  return {
    crons: list,
    activeCrons: list.filter((c) => c.active).length,
    overdueCrons: list.filter((c) => c.overdue).length,
    failingCrons: list.filter((c) => c.failures > 0).length,
    mailQueue: Object.fromEntries(mail.map((m) => [m.state, Number(m.n)])),
    logErrors: errs,
    logErrorCount: errCount,
  };
}

export interface ActivityRow {
  pid: number;
  user: string | null;
  application: string | null;
  state: string | null;
  seconds: number;
  waiting: string | null;
  blockedBy: number[];
  query: string;
}

export interface TableStat {
  name: string;
  bytes: number;
  liveRows: number;
  deadRows: number;
  /** Dead tuples as a share of all tuples: a rough bloat estimate. */
  deadRatio: number;
  lastVacuum: string | null;
  lastAnalyze: string | null;
}

/** Running statements of this database (not ours), longest first, with who blocks whom. */
export async function readActivity(db: odoo.OdooDb): Promise<ActivityRow[]> {
  const rows = await db.query<Record<string, string | null>>(
    `SELECT pid, usename, application_name, state,
            COALESCE(EXTRACT(EPOCH FROM now() - query_start), 0)::int AS seconds,
            wait_event_type || ':' || wait_event AS waiting,
            array_to_string(pg_blocking_pids(pid), ',') AS blocked_by, left(query, 300) AS query
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'
        AND backend_type = 'client backend'
      ORDER BY query_start NULLS LAST`,
  );
  return rows.map((r) => ({
    pid: Number(r.pid),
    user: r.usename,
    application: r.application_name,
    state: r.state,
    seconds: Number(r.seconds),
    waiting: r.waiting,
    blockedBy: r.blocked_by ? r.blocked_by.split(",").map(Number) : [],
    query: r.query ?? "",
  }));
}

/** The biggest tables with their dead-tuple ratio and last (auto)vacuum/analyze. */
export async function readTableStats(db: odoo.OdooDb, limit = 15): Promise<TableStat[]> {
  const rows = await db.query<Record<string, string | null>>(
    `SELECT relname AS name, pg_total_relation_size(relid) AS bytes, n_live_tup, n_dead_tup,
            to_char(GREATEST(last_vacuum, last_autovacuum) AT TIME ZONE 'UTC', :'iso') AS last_vacuum,
            to_char(GREATEST(last_analyze, last_autoanalyze) AT TIME ZONE 'UTC', :'iso') AS last_analyze
       FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC, relname LIMIT :'limit'`,
    { limit, iso: ISO },
  );
  return rows.map((r) => {
    const live = Number(r.n_live_tup);
    const dead = Number(r.n_dead_tup);
    return {
      name: r.name!,
      bytes: Number(r.bytes),
      liveRows: live,
      deadRows: dead,
      deadRatio: live + dead ? dead / (live + dead) : 0,
      lastVacuum: r.last_vacuum,
      lastAnalyze: r.last_analyze,
    };
  });
}
