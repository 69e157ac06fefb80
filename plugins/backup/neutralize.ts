/**
 * Neutralization of a restored copy BEFORE it goes live: the modules' own `data/neutralize.sql`
 * (what `odoo-bin neutralize` runs, read from the instance's addons paths when reachable), then
 * our policy, which does not rely on the modules being present: mail servers off (a dummy or the
 * catcher instead), fetchmail off, crons off but the autovacuum, credentials and provider keys
 * blanked, `database.is_neutralized` set, and for a "copy" a new uuid/secret.
 */
import type { Connection, odoo } from "../../server/sdk/index.ts";

export interface NeutralizeOptions {
  /** Addons paths on the target server (odoo.conf addons_path); modules' scripts run from there. */
  addonsPaths?: string[];
  /** "copy": new database.uuid/secret (a distinct database); "move": keep them. Default copy. */
  mode?: "copy" | "move";
  /** Where outgoing mail should go instead (odoodeck's catcher); default Odoo's dummy `invalid:1025`. */
  catcher?: { host: string; port: number } | null;
  /** `smtp_server` from the TARGET instance's odoo.conf (Odoo's fallback relay), checked by verify. */
  confSmtpServer?: string | null;
}

export const DUMMY_MAIL_SERVER = "neutralization - disable emails";

/** Installed modules whose data/neutralize.sql exists in one of the addons paths, with its SQL. */
export async function moduleNeutralizeScripts(
  conn: Connection,
  db: odoo.OdooDb,
  addonsPaths: string[],
): Promise<Array<{ module: string; sql: string }>> {
  if (!addonsPaths.length) return [];
  const mods = (
    await db.query<{ name: string }>(
      "SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove') ORDER BY name",
    )
  ).map((r) => r.name);
  const out: Array<{ module: string; sql: string }> = [];
  for (const module of mods) {
    for (const p of addonsPaths) {
      const file = `${p.replace(/\/+$/, "")}/${module}/data/neutralize.sql`;
      if (!(await conn.stat(file).catch(() => null))) continue;
      const sql = (await new Response(conn.readFile(file)).text()).trim();
      if (sql) out.push({ module, sql });
      break; // first addons path wins, as in Odoo
    }
  }
  return out;
}

/**
 * Our built-in policy. psql does not expand variables inside dollar quotes, so statements that
 * take values are plain (their tables are in `base`); optional tables are guarded in DO blocks.
 */
export function policySql(o: NeutralizeOptions): string {
  const ifTable = (t: string, body: string) =>
    `DO $n$ BEGIN IF to_regclass('public.${t}') IS NOT NULL THEN ${body} END IF; END $n$;`;
  return [
    "BEGIN;",
    `UPDATE ir_mail_server SET active = false, smtp_user = NULL, smtp_pass = NULL WHERE name <> :'dummy';`,
    `INSERT INTO ir_mail_server (name, smtp_host, smtp_port, smtp_encryption, smtp_authentication, active, sequence)
       SELECT :'dummy', :'host', :port, 'none', 'login', true, 1
        WHERE NOT EXISTS (SELECT 1 FROM ir_mail_server WHERE name = :'dummy');`,
    `UPDATE ir_mail_server SET smtp_host = :'host', smtp_port = :port, smtp_user = NULL, smtp_pass = NULL,
            from_filter = NULL, active = true
      WHERE name = :'dummy';`,
    // gmail/outlook OAuth tokens and IMAP passwords live on the server rows
    `DO $n$ DECLARE c record; BEGIN
       FOR c IN SELECT table_name, column_name FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name IN ('ir_mail_server', 'fetchmail_server')
                   AND column_name ~ '(_token|_authorization_code|^password)$' LOOP
         EXECUTE format('UPDATE %I SET %I = NULL', c.table_name, c.column_name);
       END LOOP; END $n$;`,
    ifTable("fetchmail_server", "UPDATE fetchmail_server SET active = false;"),
    ifTable("mail_template", "UPDATE mail_template SET mail_server_id = NULL;"),
    `UPDATE ir_cron SET active = false WHERE active AND id NOT IN
       (SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'autovacuum_job' AND model = 'ir.cron');`,
    ifTable("payment_provider", "UPDATE payment_provider SET state = 'disabled' WHERE state <> 'disabled';"),
    // provider keys and secrets stored as parameters; flags such as auth_signup.reset_password=True are not secrets
    `UPDATE ir_config_parameter SET value = ''
      WHERE key ~* '(key|secret|token|password|webhook)' AND key NOT LIKE 'database.%'
        AND value !~* '^(true|false|[0-9]+)?$';`,
    `INSERT INTO ir_config_parameter (key, value, create_date, write_date)
       VALUES ('database.is_neutralized', 'True', now() at time zone 'UTC', now() at time zone 'UTC')
     ON CONFLICT (key) DO UPDATE SET value = 'True';`,
    o.mode === "move"
      ? ""
      : `UPDATE ir_config_parameter SET value = gen_random_uuid()::text WHERE key IN ('database.uuid', 'database.secret');`,
    "COMMIT;",
  ].join("\n");
}

/** Runs the modules' scripts, then the policy, in one transaction on the (temporary) database. */
export async function neutralizeDatabase(
  conn: Connection,
  db: odoo.OdooDb,
  o: NeutralizeOptions = {},
): Promise<{ moduleScripts: string[] }> {
  const scripts = await moduleNeutralizeScripts(conn, db, o.addonsPaths ?? []);
  const modulesSql = scripts.map((s) => `${s.sql.replace(/;?\s*$/, ";")}`).join("\n");
  // a module script may end its own transaction: the policy opens and commits its own after it
  if (modulesSql) await db.query(`BEGIN;\n${modulesSql}\nCOMMIT;`);
  await db.query(policySql(o), {
    dummy: DUMMY_MAIL_SERVER,
    host: o.catcher?.host ?? "invalid",
    port: o.catcher?.port ?? 1025,
  });
  return { moduleScripts: scripts.map((s) => s.module) };
}
