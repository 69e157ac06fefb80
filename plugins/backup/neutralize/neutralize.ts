/**
 * Neutralization of a restored copy BEFORE it goes live: the installed modules' own
 * `data/neutralize.sql` (what `odoo-bin neutralize` runs), found the way Odoo finds them (see
 * addons-roots.ts), then our policy, which does not rely on the modules being reachable: mail
 * servers off (a dummy or the catcher instead), fetchmail off, crons off but the autovacuum,
 * webhooks off, credentials and provider keys blanked, `database.is_neutralized` set as Odoo
 * sets it, and for a "copy" a new uuid/secret. Fail closed: a script that exists but cannot be
 * read stops the restore before anything runs.
 */
import { AppError, type Connection, odoo } from "../../../server/sdk/index.ts";
import { compareWithReference, odooNeutralizeSql, type ReferenceInput } from "./neutralize-reference.ts";
import { type NeutralizeLine, policyReport, scriptLines } from "./neutralize-report.ts";

export interface NeutralizeOptions {
  /** Addons paths on the target server (odoo.conf addons_path). */
  addonsPaths?: string[];
  /** The target's data_dir: Odoo also searches data_dir/addons/<series>. */
  dataDir?: string | null;
  /** odoo-bin (or the script Odoo runs from): its folder is the Odoo root with odoo/addons. */
  odooBin?: string | null;
  /** "copy": new database.uuid/secret (a distinct database); "move": keep them. Default copy. */
  mode?: "copy" | "move";
  /** Where outgoing mail should go instead (odoodeck's catcher); default Odoo's dummy `invalid:1025`. */
  catcher?: CatcherMailbox | null;
  /** `smtp_server` from the TARGET instance's odoo.conf (Odoo's fallback relay), checked by verify. */
  confSmtpServer?: string | null;
  /** Where Odoo can be run on the target: `odoo-bin neutralize --stdout` is then the reference. */
  reference?: ReferenceInput | null;
}

/** The catcher's address, and the database's own mailbox there (its SMTP login) when it has one. */
export interface CatcherMailbox {
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** The mail catcher's id of the mailbox, for the report. */
  mailbox?: number;
}

export const DUMMY_MAIL_SERVER = "neutralization - disable emails";
export const DISABLED_WEBHOOK = "neutralization - disable webhook";

export interface ModuleScript {
  module: string;
  path: string;
  sql: string;
}

/** Installed modules as Odoo's neutralize.py lists them. */
async function installedModules(db: odoo.OdooDb): Promise<string[]> {
  return (
    await db.query<{ name: string }>(
      "SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove') ORDER BY name",
    )
  ).map((r) => r.name);
}

async function seriesOf(db: odoo.OdooDb): Promise<string | null> {
  const v = await db.scalar("SELECT latest_version FROM ir_module_module WHERE name = 'base'");
  return /^\d+\.\d+/.exec(v ?? "")?.[0] ?? null;
}

/**
 * The installed modules' data/neutralize.sql, first root wins as in Odoo. Throws
 * E_NEUTRALIZE_FAILED when one could not be read, or when addons paths are configured but none
 * can be seen from this connection (a container's paths): what Odoo would run is then unknown.
 */
export async function moduleNeutralizeScripts(
  conn: Connection,
  db: odoo.OdooDb,
  o: Pick<NeutralizeOptions, "addonsPaths" | "dataDir" | "odooBin"> = {},
): Promise<{ scripts: ModuleScript[]; withoutScript: string[]; layoutKnown: boolean }> {
  const addonsPaths = o.addonsPaths ?? [];
  const roots = await odoo.addonsRoots(conn, {
    addonsPaths,
    dataDir: o.dataDir,
    odooBin: o.odooBin,
    series: await seriesOf(db),
  });
  const problems = roots.filter((r) => r.state === "unreadable").map((r) => `${r.path}: ${r.error}`);
  if (addonsPaths.length && roots.every((r) => r.state === "missing"))
    problems.push(`none of the addons paths (${addonsPaths.join(", ")}) exists on ${conn.label}`);
  const out: ModuleScript[] = [];
  const withoutScript: string[] = [];
  for (const module of await installedModules(db)) {
    const hit = await odoo.findModuleFile(conn, roots, `${module}/data/neutralize.sql`);
    if (!hit.found) {
      for (const u of hit.unreadable) problems.push(`${u.path}: ${u.error}`);
      withoutScript.push(module);
      continue;
    }
    try {
      const sql = (await new Response(conn.readFile(hit.path)).text()).trim();
      if (sql) out.push({ module, path: hit.path, sql });
    } catch (e) {
      problems.push(`${hit.path}: ${(e as Error).message}`);
    }
  }
  if (problems.length)
    throw new AppError(
      "E_NEUTRALIZE_FAILED",
      `Odoo's neutralization scripts could not all be read: ${[...new Set(problems)].join("; ")}`,
      {
        hint: "The copy was not published and the source was not touched. Make the addons paths readable by the user odoodeck connects as (or give the instance's real addons_path), then restore again",
        details: { unreadable: problems },
      },
    );
  return { scripts: out, withoutScript, layoutKnown: roots.some((r) => r.state === "ok") };
}

function scriptsNotOdoos(problems: string[]): AppError {
  return new AppError(
    "E_NEUTRALIZE_FAILED",
    `The neutralization scripts odoodeck found are not the ones Odoo runs: ${problems.join("; ")}`,
    {
      hint: "The copy was not published and the source was not touched. Make odoo.conf's addons_path (and Odoo's own odoo/addons) readable from the connection odoodeck uses, then restore again",
      details: { problems },
    },
  );
}

/**
 * The installed modules' scripts, checked against Odoo where it can be run: Odoo's SQL that we did
 * not find, or a base script missing from a layout we can see (Odoo always ships one), fails closed.
 */
async function checkedScripts(conn: Connection, db: odoo.OdooDb, o: NeutralizeOptions) {
  const found = await moduleNeutralizeScripts(conn, db, o);
  const lines: NeutralizeLine[] = [];
  let reference = false;
  if (o.reference && db.target.database) {
    const ref = await odooNeutralizeSql(conn, db.target.database, o.reference);
    if (ref.ok) {
      const problems = compareWithReference(ref.sql, found.scripts, found.withoutScript);
      if (problems.length) throw scriptsNotOdoos(problems);
      reference = true;
      lines.push({ kind: "as Odoo", text: `the scripts are exactly what \`${ref.command}\` prints` });
    } else
      lines.push({ kind: "warning", text: `not compared with odoo-bin neutralize --stdout: ${ref.reason}` });
  }
  if (!reference && found.layoutKnown && found.withoutScript.includes("base"))
    throw scriptsNotOdoos([
      "base/data/neutralize.sql was found in none of the folders Odoo searches: Odoo always ships it, so these are not Odoo's addons",
    ]);
  return { scripts: found.scripts, lines };
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
    // Odoo's base script inserts the dummy each time it runs: one is enough
    `DELETE FROM ir_mail_server WHERE name = :'dummy' AND id <> (SELECT min(id) FROM ir_mail_server WHERE name = :'dummy');`,
    // the catcher's mailbox login (empty: none): the database's own server wins over any conf relay
    `UPDATE ir_mail_server SET smtp_host = :'host', smtp_port = :port, smtp_user = NULLIF(:'user', ''),
            smtp_pass = NULLIF(:'pass', ''), smtp_encryption = 'none', smtp_authentication = 'login',
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
    // a queued mail.mail sends through its message's server, by id, active or not (production's host)
    ifTable(
      "mail_message",
      "UPDATE mail_message SET mail_server_id = NULL WHERE mail_server_id IN (SELECT id FROM ir_mail_server WHERE NOT active);",
    ),
    `UPDATE ir_cron SET active = false WHERE active AND id NOT IN
       (SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'autovacuum_job' AND model = 'ir.cron');`,
    // base's own script does this too; repeated here for when that script could not be found
    `DO $n$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = 'ir_act_server' AND column_name = 'webhook_url') THEN
       UPDATE ir_act_server SET webhook_url = '${DISABLED_WEBHOOK}' WHERE state = 'webhook';
     END IF; END $n$;`,
    ifTable("payment_provider", "UPDATE payment_provider SET state = 'disabled' WHERE state <> 'disabled';"),
    // provider keys and secrets stored as parameters; flags such as auth_signup.reset_password=True are not secrets
    `UPDATE ir_config_parameter SET value = ''
      WHERE key ~* '(key|secret|token|password|webhook)' AND key NOT LIKE 'database.%'
        AND value !~* '^(true|false|[0-9]+)?$';`,
    // exactly what Odoo 17's base/data/neutralize.sql stores: the boolean true, as text 'true'
    `INSERT INTO ir_config_parameter (key, value, create_date, write_date)
       VALUES ('database.is_neutralized', true, now() at time zone 'UTC', now() at time zone 'UTC')
     ON CONFLICT (key) DO UPDATE SET value = true;`,
    o.mode === "move"
      ? ""
      : `UPDATE ir_config_parameter SET value = gen_random_uuid()::text WHERE key IN ('database.uuid', 'database.secret');`,
    "COMMIT;",
  ].join("\n");
}

/** Runs the modules' scripts, then the policy, on the (temporary) database; says what it did. */
export async function neutralizeDatabase(
  conn: Connection,
  db: odoo.OdooDb,
  o: NeutralizeOptions = {},
): Promise<{ moduleScripts: string[]; scripts: ModuleScript[]; report: NeutralizeLine[] }> {
  const { scripts, lines } = await checkedScripts(conn, db, o);
  // Odoo joins the scripts and runs them in one transaction (odoo/modules/neutralize.py)
  const modulesSql = scripts.map((s) => `${s.sql.replace(/;?\s*$/, ";")}`).join("\n");
  if (modulesSql) await db.query(`BEGIN;\n${modulesSql}\nCOMMIT;`);
  await db.query(policySql(o), {
    dummy: DUMMY_MAIL_SERVER,
    host: o.catcher?.host ?? "invalid",
    port: o.catcher?.port ?? 1025,
    user: o.catcher?.user ?? "",
    pass: o.catcher?.password ?? "",
  });
  return {
    moduleScripts: scripts.map((s) => s.module),
    scripts,
    report: [...scriptLines(scripts), ...lines, ...policyReport(o)],
  };
}
