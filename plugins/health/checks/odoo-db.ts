import type { CheckDef, Measurement } from "../types.ts";

// Odoo stores datetimes as UTC timestamps without time zone.
const NOW_UTC = "(now() AT TIME ZONE 'UTC')";

async function dbOf(target: Parameters<CheckDef["run"]>[0]) {
  const { db } = await target.odoo();
  return db;
}

/** Active crons whose nextcall is more than an hour in the past: the cron worker is stuck or off. */
export const cronCheck: CheckDef = {
  id: "crons",
  label: "Crons overdue",
  thresholds: { warning: 1, critical: 3, direction: "above" },
  async run(target): Promise<Measurement> {
    const db = await dbOf(target);
    const [r] = await db.query<{ active: string; overdue: string; lag: string | null }>(
      `SELECT count(*) AS active,
              count(*) FILTER (WHERE nextcall < ${NOW_UTC} - interval '1 hour') AS overdue,
              GREATEST(0, EXTRACT(EPOCH FROM max(${NOW_UTC} - nextcall)))::bigint AS lag
         FROM ir_cron WHERE active`,
    );
    const overdue = Number(r.overdue);
    const lag = Number(r.lag ?? 0);
    return {
      value: overdue,
      data: { active: Number(r.active), lag_seconds: lag },
      message: overdue
        ? `${overdue} of ${r.active} active crons overdue by more than 1 h (worst: ${Math.round(lag / 3600)} h)`
        : `${r.active} active crons on time`,
    };
  },
};

/** Outgoing mail older than `stuckMinutes`: the mail queue cron is not sending. */
export function mailQueueCheck(stuckMinutes: () => number): CheckDef {
  return {
    id: "mail_queue",
    label: "Mail queue stuck",
    thresholds: { warning: 1, critical: 20, direction: "above" },
    async run(target): Promise<Measurement> {
      const db = await dbOf(target);
      const [r] = await db.query<{ outgoing: string; stuck: string; exceptions: string }>(
        `SELECT count(*) FILTER (WHERE state = 'outgoing') AS outgoing,
                count(*) FILTER (WHERE state = 'outgoing'
                                   AND create_date < ${NOW_UTC} - make_interval(mins => :'mins'::int)) AS stuck,
                count(*) FILTER (WHERE state = 'exception') AS exceptions
           FROM mail_mail`,
        { mins: Math.max(1, Math.round(stuckMinutes())) },
      );
      const stuck = Number(r.stuck);
      return {
        value: stuck,
        data: { outgoing: Number(r.outgoing), exceptions: Number(r.exceptions) },
        message: `${r.outgoing} outgoing, ${stuck} older than ${stuckMinutes()} min`,
      };
    },
  };
}

/** Mails Odoo gave up on (state exception): bounced relay, bad credentials, bad addresses. */
export const mailExceptionsCheck: CheckDef = {
  id: "mail_exceptions",
  label: "Mail exceptions",
  thresholds: { warning: 1, critical: 50, direction: "above" },
  async run(target): Promise<Measurement> {
    const db = await dbOf(target);
    const n = Number(await db.scalar("SELECT count(*) FROM mail_mail WHERE state = 'exception'"));
    return { value: n, message: n ? `${n} mails in exception (not sent)` : "no mail in exception" };
  },
};

/** Longest running statement and sessions waiting on a lock, in this database. */
export const queriesCheck: CheckDef = {
  id: "queries",
  label: "Longest query",
  unit: "s",
  thresholds: { warning: 300, critical: 1800, direction: "above" },
  async run(target): Promise<Measurement> {
    const db = await dbOf(target);
    const [r] = await db.query<{ longest: string | null; long_count: string; lock_waits: string }>(
      `SELECT COALESCE(EXTRACT(EPOCH FROM max(now() - query_start)
                       FILTER (WHERE state = 'active' AND pid <> pg_backend_pid())), 0)::numeric(12,1) AS longest,
              count(*) FILTER (WHERE state = 'active' AND pid <> pg_backend_pid()
                                 AND now() - query_start > interval '5 minutes') AS long_count,
              count(*) FILTER (WHERE wait_event_type = 'Lock') AS lock_waits
         FROM pg_stat_activity WHERE datname = current_database()`,
    );
    const longest = Number(r.longest ?? 0);
    const waits = Number(r.lock_waits);
    return {
      value: longest,
      data: { long_queries: Number(r.long_count), lock_waits: waits },
      message: `longest active query ${longest} s; ${r.long_count} over 5 min; ${waits} waiting on a lock`,
    };
  },
};

/** Sessions blocked on locks (crons fighting over rows, a stuck upgrade…). */
export const lockWaitsCheck: CheckDef = {
  id: "lock_waits",
  label: "Lock waits",
  thresholds: { warning: 3, critical: 10, direction: "above" },
  async run(target): Promise<Measurement> {
    const db = await dbOf(target);
    const n = Number(
      await db.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      ),
    );
    return { value: n, message: `${n} sessions waiting on a lock` };
  },
};
