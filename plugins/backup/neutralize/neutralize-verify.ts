/**
 * Proves a copy is neutralized with queries, independently of how it was done: lists what is
 * still armed. An empty list is the only passing answer. The same rule serves the restore and
 * the restore test.
 */
import { AppError, type odoo } from "../../../server/sdk/index.ts";
import { DISABLED_WEBHOOK, DUMMY_MAIL_SERVER, type NeutralizeOptions } from "./neutralize.ts";

/** Hosts where mail cannot reach anyone outside: a conf smtp_server elsewhere is a real relay. */
const SAFE_HOSTS = new Set(["", "localhost", "127.0.0.1", "::1", "invalid"]);

export function isRealRelay(server: string | null | undefined, catcherHost?: string | null): boolean {
  const h = (server ?? "").trim().toLowerCase();
  return !(SAFE_HOSTS.has(h) || (catcherHost && h === catcherHost.toLowerCase()));
}

/** count(*) of a query on a table that may not exist (a module not installed): NULL then. */
const guarded = (table: string, where: string) =>
  `CASE WHEN to_regclass('public.${table}') IS NOT NULL THEN
     (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM ${table} WHERE ${where.replaceAll("'", "''")}', false, true, '')))[1]::text
   END`;

export interface NeutralizationCheck {
  /** What is still armed: the copy must not go live. */
  armed: string[];
  /** Allowed, but worth saying (e.g. the conf names a real relay the database never reaches). */
  warnings: string[];
}

export async function checkNeutralization(
  db: odoo.OdooDb,
  o: Pick<NeutralizeOptions, "catcher" | "confSmtpServer"> = {},
): Promise<NeutralizationCheck> {
  const safeHost = o.catcher?.host ?? "invalid";
  const hasWebhooks = await db.scalar(
    `SELECT count(*) FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = 'ir_act_server' AND column_name = 'webhook_url'`,
  );
  const [r] = await db.query<Record<string, string | null>>(
    `SELECT
       (SELECT string_agg(name || ' (' || coalesce(smtp_host, '') || ')', ', ') FROM ir_mail_server
         WHERE active AND NOT (name = :'dummy' AND smtp_host = :'host' AND smtp_port = :port)) AS mail_servers,
       (SELECT count(*) FROM ir_mail_server WHERE active) AS active_servers,
       (SELECT count(*) FROM ir_mail_server WHERE (smtp_user IS NOT NULL OR smtp_pass IS NOT NULL)
           AND NOT (:'user' <> '' AND name = :'dummy' AND smtp_host = :'host' AND smtp_port = :port
                    AND smtp_user = :'user')) AS smtp_creds,
       ${guarded("fetchmail_server", "active")} AS fetchmail,
       (SELECT string_agg(coalesce(cron_name, id::text), ', ') FROM ir_cron WHERE active AND id NOT IN
          (SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'autovacuum_job' AND model = 'ir.cron')) AS crons,
       (SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized') AS flag,
       ${guarded("mail_template", "mail_server_id IS NOT NULL")} AS templates,
       ${guarded("mail_message", "mail_server_id IN (SELECT id FROM ir_mail_server WHERE NOT active)")} AS queued,
       ${Number(hasWebhooks) ? guarded("ir_act_server", `state = 'webhook' AND webhook_url IS DISTINCT FROM '${DISABLED_WEBHOOK}'`) : "NULL"} AS webhooks,
       ${guarded("iap_account", "account_token IS NOT NULL AND account_token !~ '\\+disabled$'")} AS iap`,
    // only the catcher's own row, with exactly its mailbox login, may hold credentials
    { dummy: DUMMY_MAIL_SERVER, host: safeHost, port: o.catcher?.port ?? 1025, user: o.catcher?.user ?? "" },
  );
  const armed: string[] = [];
  const warnings: string[] = [];
  if (r.mail_servers) armed.push(`active outgoing mail server(s): ${r.mail_servers}`);
  if (Number(r.smtp_creds) > 0) armed.push(`${r.smtp_creds} mail server(s) still hold SMTP credentials`);
  if (Number(r.fetchmail ?? 0) > 0) armed.push(`${r.fetchmail} active incoming mail (fetchmail) server(s)`);
  if (r.crons) armed.push(`active scheduled actions besides the autovacuum: ${r.crons}`);
  if (!r.flag || !/^true$/i.test(r.flag)) armed.push("database.is_neutralized is not set");
  if (Number(r.templates ?? 0) > 0) armed.push(`${r.templates} mail template(s) force a mail server`);
  if (Number(r.queued ?? 0) > 0)
    armed.push(`${r.queued} message(s) name a deactivated mail server, which Odoo would still use`);
  if (Number(r.webhooks ?? 0) > 0) armed.push(`${r.webhooks} webhook server action(s) still call their URL`);
  if (Number(r.iap ?? 0) > 0) armed.push(`${r.iap} IAP account(s) still hold a live token`);
  // Odoo sends through the database's own active mail server; only with none does it fall back to
  // the conf's smtp_server. So a real relay in the conf matters only when no server is left.
  if (isRealRelay(o.confSmtpServer, o.catcher?.host)) {
    if (Number(r.active_servers) === 0)
      armed.push(
        `no active mail server is left, so Odoo would fall back to the target's odoo.conf smtp_server ${o.confSmtpServer}`,
      );
    else if (!r.mail_servers)
      warnings.push(
        `the target's odoo.conf names the relay ${o.confSmtpServer}; the copy never reaches it for normal mail: its own active mail server (${o.catcher?.user ? `odoodeck's mail catcher, ${safeHost}:${o.catcher.port}` : `${DUMMY_MAIL_SERVER}, ${safeHost}`}) takes precedence`,
      );
  }
  return { armed, warnings };
}

/** What is still armed (see checkNeutralization). */
export async function verifyNeutralization(
  db: odoo.OdooDb,
  o: Pick<NeutralizeOptions, "catcher" | "confSmtpServer"> = {},
): Promise<string[]> {
  return (await checkNeutralization(db, o)).armed;
}

export function neutralizeFailed(armed: string[]): AppError {
  return new AppError(
    "E_NEUTRALIZE_FAILED",
    `Neutralization could not be verified; still armed: ${armed.join("; ")}`,
    {
      hint: "The copy was dropped and nothing else changed; production was not touched. Restore again with neutralization on (it leaves one dummy mail server active) or set a mail catcher for the copy",
      details: { armed },
    },
  );
}
