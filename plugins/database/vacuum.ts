/**
 * VACUUM (ANALYZE) of one table as an operation: it may run for a long time on a big table, so it
 * leaves the request at once. Its backend carries a unique application_name, which is how progress
 * is read (pg_stat_progress_vacuum) and how cancelling finds it (pg_cancel_backend).
 */
import { AppError, odoo, type StepApi } from "../../server/sdk/index.ts";

export interface VacuumTarget {
  table: string;
  /** The identifier PostgreSQL quoted (quote_ident): user input never becomes SQL text. */
  ident: string;
}

/** Looks the table up in the catalog and checks the role may vacuum it, before anything starts. */
export async function vacuumTarget(db: odoo.OdooDb, table: string): Promise<VacuumTarget> {
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
  return { table, ident: row.ident };
}

const PROGRESS = `SELECT p.phase, p.heap_blks_total, p.heap_blks_scanned
   FROM pg_stat_progress_vacuum p JOIN pg_stat_activity a ON a.pid = p.pid
  WHERE a.application_name = :'app' AND a.datname = current_database()`;
const CANCEL = `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
  WHERE application_name = :'app' AND datname = current_database()`;

export async function runVacuum(
  db: odoo.OdooDb,
  t: VacuumTarget,
  s: StepApi,
): Promise<{ table: string; lastVacuum: string | null; lastAnalyze: string | null }> {
  const app = `odoodeck-vacuum-${crypto.randomUUID().slice(0, 8)}`;
  // VACUUM cannot run in a transaction: psql sends each statement on its own (autocommit).
  const long = new odoo.OdooDb(db.conn, db.target, { timeoutMs: 12 * 3600_000 });
  let settled = false;
  const running = long.query(`SET application_name = :'app';\nVACUUM (ANALYZE) ${t.ident};`, { app });
  const finished = running.then(
    () => (settled = true),
    () => (settled = true),
  );
  // Cancel: keep asking until the statement has stopped (its backend may still be connecting).
  const onAbort = async () => {
    s.log(`cancelling: pg_cancel_backend of ${app}`);
    while (!settled) {
      await db.query(CANCEL, { app }).catch(() => {});
      await Promise.race([finished, Bun.sleep(200)]);
    }
  };
  s.signal.addEventListener("abort", () => void onAbort(), { once: true });
  s.log(`VACUUM (ANALYZE) ${t.ident}`);
  let phase = "";
  while (!settled) {
    await Promise.race([finished, Bun.sleep(1000)]);
    if (settled) break;
    const [p] = await db.query<Record<string, string>>(PROGRESS, { app }).catch(() => []);
    if (p && p.phase !== phase) s.log(`phase: ${(phase = p.phase)}`);
    if (p && Number(p.heap_blks_total) > 0)
      s.progress({ percent: (100 * Number(p.heap_blks_scanned)) / Number(p.heap_blks_total) });
  }
  try {
    await running;
  } catch (e) {
    if (s.signal.aborted) throw new AppError("E_CANCELLED", `VACUUM of ${t.table} was cancelled`);
    throw e;
  }
  const [last] = await db.query<{ v: string | null; a: string | null }>(
    `SELECT to_char(last_vacuum AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS v,
            to_char(last_analyze AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS a
       FROM pg_stat_user_tables WHERE relname = :'t' AND schemaname = 'public'`,
    { t: t.table },
  );
  s.log(`done: last vacuum ${last?.v ?? "unknown"}`);
  return { table: t.table, lastVacuum: last?.v ?? null, lastAnalyze: last?.a ?? null };
}
