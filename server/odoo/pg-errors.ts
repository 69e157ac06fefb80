import { AppError } from "../errors.ts";

/**
 * Turns psql's stderr into a stable error a user can act on. psql's messages are English unless
 * the server's lc_messages says otherwise; we run psql with LC_ALL=C for the client side.
 */
export function psqlError(stderr: string, ctx: { db: string; target: string }): AppError {
  const text = stderr.trim();
  const first = (
    text.split("\n").find((l) => /ERROR:|FATAL:|error:/.test(l)) ??
    text.split("\n")[0] ??
    ""
  ).trim();
  if (
    /password authentication failed|no password supplied|fe_sendauth|Peer authentication failed|Ident authentication failed|no pg_hba\.conf entry/i.test(
      text,
    )
  ) {
    return new AppError("E_DB_AUTH", `PostgreSQL at ${ctx.target} refused the credentials`, {
      hint: "Check db_user and db_password in odoo.conf (and pg_hba.conf on the database server)",
      details: { stderr: first },
    });
  }
  if (/database "[^"]*" does not exist/.test(text)) {
    return new AppError("E_NOT_FOUND", `Database "${ctx.db}" does not exist on ${ctx.target}`, {
      hint: "Check db_name in odoo.conf, or pick one of the databases listed on the server",
    });
  }
  if (
    /Connection refused|could not connect|No such file or directory|could not translate host name|timeout expired|Network is unreachable|No route to host|server closed the connection/i.test(
      text,
    )
  ) {
    return new AppError("E_DB_UNREACHABLE", `PostgreSQL cannot be reached at ${ctx.target}`, {
      hint: "Check db_host and db_port in odoo.conf and that PostgreSQL is running and listening there",
      details: { stderr: first },
    });
  }
  return new AppError("E_COMMAND_FAILED", `psql failed: ${first.replace(/^psql:(\S+:\d+:)?\s*/, "")}`, {
    details: { stderr: text.slice(0, 2000) },
  });
}

export function psqlMissing(label: string): AppError {
  return new AppError("E_COMMAND_FAILED", `psql is not installed on ${label}`, {
    hint: "Install the PostgreSQL client on that server (Debian/Ubuntu: apt install postgresql-client)",
  });
}
