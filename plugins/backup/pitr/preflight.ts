/**
 * Can this role stream WAL from the instance's server? Asked the way pg_receivewal will ask
 * (a replication connection running IDENTIFY_SYSTEM), plus the server settings it needs. The
 * user's cluster is never altered: a refusal says which SQL or pg_hba.conf line would fix it.
 */
import { AppError } from "../../../server/sdk/index.ts";
import type { PgTarget } from "../restore/restore-pg.ts";
import { pgBin, replicationArgs, runLocal, toolEnv } from "./tools.ts";

export interface ReplicationInfo {
  systemId: string;
  timeline: number;
  /** Server's current WAL position when asked. */
  xlogpos: string;
  walLevel: string;
  serverMajor: number;
}

const psql = (pg: PgTarget, conninfo: string, sql: string) =>
  runLocal(
    [pgBin("psql"), "-X", "-q", "-A", "-t", "-F", "|", ...replicationArgs(pg), "-d", conninfo, "-c", sql],
    {
      env: toolEnv(pg),
      what: "psql",
    },
  );

/** The fix a refusal needs, as the exact line or statement to apply. */
function explain(pg: PgTarget, e: unknown): AppError {
  const msg = e instanceof AppError ? e.message : String(e);
  const user = pg.user || "odoo";
  const from =
    pg.host && pg.host !== "localhost"
      ? `${pg.host === "127.0.0.1" ? "127.0.0.1/32" : "<odoodeck's address>/32"}`
      : "";
  if (/no pg_hba\.conf entry for replication/i.test(msg))
    return new AppError("E_WAL_REPLICATION", `pg_hba.conf has no replication entry for ${user}`, {
      hint: `Add to pg_hba.conf, then reload PostgreSQL: ${from ? `host replication ${user} ${from} scram-sha-256` : `local replication ${user} peer`}`,
      details: { error: msg },
    });
  if (/must be superuser or replication role|permission denied to start WAL sender/i.test(msg))
    return new AppError("E_WAL_REPLICATION", `The role ${user} may not stream WAL`, {
      hint: `As a superuser: ALTER ROLE "${user.replaceAll('"', '""')}" REPLICATION;`,
      details: { error: msg },
    });
  if (/max_wal_senders/i.test(msg))
    return new AppError("E_WAL_REPLICATION", "The server allows no WAL senders (max_wal_senders = 0)", {
      hint: "Set max_wal_senders = 10 in postgresql.conf and restart PostgreSQL",
      details: { error: msg },
    });
  return e instanceof AppError ? e : new AppError("E_WAL_REPLICATION", msg);
}

/** Throws E_WAL_REPLICATION with the fix when streaming is not possible; else what the server said. */
export async function checkReplication(pg: PgTarget): Promise<ReplicationInfo> {
  let row: string;
  try {
    row = (await psql(pg, "dbname=postgres replication=true", "IDENTIFY_SYSTEM")).trim();
  } catch (e) {
    throw explain(pg, e);
  }
  const [systemId = "", timeline = "0", xlogpos = ""] = row.split("|");
  const settings = (
    await psql(
      pg,
      "dbname=postgres",
      "SELECT current_setting('wal_level'), current_setting('server_version_num')",
    )
  )
    .trim()
    .split("|");
  const walLevel = settings[0] ?? "";
  if (walLevel === "minimal")
    throw new AppError("E_WAL_REPLICATION", "wal_level is minimal: WAL cannot be streamed", {
      hint: "Set wal_level = replica in postgresql.conf and restart PostgreSQL",
    });
  return {
    systemId,
    timeline: Number(timeline),
    xlogpos,
    walLevel,
    serverMajor: Math.floor(Number(settings[1]) / 10000),
  };
}
