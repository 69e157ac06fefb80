/**
 * Proves a copy is neutralized with queries, independently of how it was done: lists what is
 * still armed. An empty list is the only passing answer.
 */
import { AppError, type odoo } from "../../server/sdk/index.ts";
import { DUMMY_MAIL_SERVER, type NeutralizeOptions } from "./neutralize.ts";

/** Hosts where mail cannot reach anyone outside: a conf smtp_server elsewhere is a real relay. */
const SAFE_HOSTS = new Set(["", "localhost", "127.0.0.1", "::1", "invalid"]);

export function isRealRelay(server: string | null | undefined, catcherHost?: string | null): boolean {
  const h = (server ?? "").trim().toLowerCase();
  return !(SAFE_HOSTS.has(h) || (catcherHost && h === catcherHost.toLowerCase()));
}

export async function verifyNeutralization(
  db: odoo.OdooDb,
  o: Pick<NeutralizeOptions, "catcher" | "confSmtpServer"> = {},
): Promise<string[]> {
  const safeHost = o.catcher?.host ?? "invalid";
  const [r] = await db.query<Record<string, string | null>>(
    `SELECT
       (SELECT string_agg(name || ' (' || coalesce(smtp_host, '') || ')', ', ') FROM ir_mail_server
         WHERE active AND NOT (name = :'dummy' AND smtp_host = :'host')) AS mail_servers,
       (SELECT count(*) FROM ir_mail_server WHERE smtp_user IS NOT NULL OR smtp_pass IS NOT NULL) AS smtp_creds,
       CASE WHEN to_regclass('public.fetchmail_server') IS NOT NULL THEN
         (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM fetchmail_server WHERE active', false, true, '')))[1]::text
       END AS fetchmail,
       (SELECT string_agg(coalesce(cron_name, id::text), ', ') FROM ir_cron WHERE active AND id NOT IN
          (SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'autovacuum_job' AND model = 'ir.cron')) AS crons,
       (SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized') AS flag,
       CASE WHEN to_regclass('public.mail_template') IS NOT NULL THEN
         (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM mail_template WHERE mail_server_id IS NOT NULL', false, true, '')))[1]::text
       END AS templates`,
    { dummy: DUMMY_MAIL_SERVER, host: safeHost },
  );
  const armed: string[] = [];
  if (r.mail_servers) armed.push(`active outgoing mail server(s): ${r.mail_servers}`);
  if (Number(r.smtp_creds) > 0) armed.push(`${r.smtp_creds} mail server(s) still hold SMTP credentials`);
  if (Number(r.fetchmail ?? 0) > 0) armed.push(`${r.fetchmail} active incoming mail (fetchmail) server(s)`);
  if (r.crons) armed.push(`active scheduled actions besides the autovacuum: ${r.crons}`);
  if (!r.flag || !/^true$/i.test(r.flag)) armed.push("database.is_neutralized is not set");
  if (Number(r.templates ?? 0) > 0) armed.push(`${r.templates} mail template(s) force a mail server`);
  if (isRealRelay(o.confSmtpServer, o.catcher?.host))
    armed.push(
      `the target's odoo.conf smtp_server is ${o.confSmtpServer}: Odoo falls back to it when no mail server applies`,
    );
  return armed;
}

export function neutralizeFailed(armed: string[]): AppError {
  return new AppError(
    "E_NEUTRALIZE_FAILED",
    `Neutralization could not be verified; still armed: ${armed.join("; ")}`,
    {
      hint: "The restored copy was dropped and nothing was swapped. Fix the target (e.g. smtp_server in its odoo.conf) and restore again",
      details: { armed },
    },
  );
}
