/**
 * Odoo's own module layout, reproduced in a temp dir: a git checkout (`odoo-bin`,
 * `odoo/addons/base`, `addons/<mod>`) whose odoo.conf lists only `<odoo>/addons`, as a source
 * install does. The SQL below is Odoo 17.0's own data/neutralize.sql of base, mail and iap.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { neutralizeDatabase } from "../../plugins/backup/neutralize/neutralize.ts";
import {
  checkNeutralization,
  verifyNeutralization,
} from "../../plugins/backup/neutralize/neutralize-verify.ts";
import { restoreToNewDatabase } from "../../plugins/backup/restore/restore.ts";
import { type RestoreEnv, restoreEnv, testDir } from "../../plugins/backup/tests/restore-test-helpers.ts";
import { odooStartCheck } from "../../plugins/backup/restore-tests/restore-test-checks.ts";
import { scanOdooAddons } from "../../plugins/modules/scan/addons-scan.ts";
import { addonsRoots, findModuleFile } from "../../server/odoo/addons-roots.ts";
import { resolveOdooExecutable } from "../../server/odoo/odoo-executable.ts";
import { writeFakeOdooBin } from "../helpers/fake-odoo-bin.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { fixtureDb } from "../helpers/pg.ts";

const BASE_SQL = `-- deactivate mail servers
UPDATE ir_mail_server
   SET active = false;

-- insert dummy mail server to prevent using fallback servers specified using command line
INSERT INTO ir_mail_server(name, smtp_port, smtp_host, smtp_encryption, active, smtp_authentication)
VALUES ('neutralization - disable emails', 1025, 'invalid', 'none', true, 'login');

-- deactivate crons
UPDATE ir_cron
   SET active = false
 WHERE id NOT IN (
       SELECT res_id
         FROM ir_model_data
        WHERE model = 'ir.cron'
          AND name = 'autovacuum_job'
          AND module = 'base'
);

-- neutralization flag for the database
INSERT INTO ir_config_parameter (key, value)
VALUES ('database.is_neutralized', true)
    ON CONFLICT (key) DO
       UPDATE SET value = true;

-- deactivate webhooks
UPDATE ir_act_server
   SET webhook_url = 'neutralization - disable webhook'
 WHERE state = 'webhook';
`;
const MAIL_SQL = `-- deactivate mail template
UPDATE mail_template
   SET mail_server_id = NULL;
-- deactivate fetchmail server
UPDATE fetchmail_server
   SET active = false;
`;
const IAP_SQL = `UPDATE iap_account SET account_token = REGEXP_REPLACE(account_token, '(\\+.*)?$', '+disabled');\n`;

let env: RestoreEnv;
const dirs: string[] = [];

function put(path: string, text: string) {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
}

/** A git checkout of Odoo 17: `<root>/odoo-bin`, `<root>/odoo/addons/base`, `<root>/addons/*`. */
function odooCheckout(): string {
  const root = testDir("odoo-src");
  dirs.push(root);
  writeFakeOdooBin(join(root, "odoo-bin"), { executable: false }); // a checkout may lose the x bit
  put(join(root, "odoo/addons/base/__manifest__.py"), "{'name': 'Base', 'version': '1.3', 'depends': []}");
  put(join(root, "odoo/addons/base/data/neutralize.sql"), BASE_SQL);
  put(
    join(root, "addons/mail/__manifest__.py"),
    "{'name': 'Discuss', 'version': '1.15', 'depends': ['base']}",
  );
  put(join(root, "addons/mail/data/neutralize.sql"), MAIL_SQL);
  put(join(root, "addons/iap/__manifest__.py"), "{'name': 'IAP', 'version': '1.1', 'depends': ['web']}");
  put(join(root, "addons/iap/data/neutralize.sql"), IAP_SQL);
  return root;
}

/** A live webhook and a live IAP token in the copy, as production has them. */
async function armWebhookAndIap(db: string) {
  await env.db(db).query(
    `INSERT INTO ir_act_server (name, type, usage, state, model_id, model_name, binding_type, webhook_url)
       SELECT '{"en_US": "Notify ERP bridge"}', 'ir.actions.server', 'ir_actions_server', 'webhook', id, model,
              'action', 'https://hooks.acme-corp.example/prod' FROM ir_model WHERE model = 'res.partner';
     INSERT INTO iap_account (service_name, account_token) VALUES ('reveal', 'live-token-123')
       ON CONFLICT DO NOTHING;`,
  );
}

const facts = (db: string) =>
  env.db(db).query<Record<string, string>>(
    `SELECT (SELECT string_agg(webhook_url, ',') FROM ir_act_server WHERE state = 'webhook') AS webhooks,
            (SELECT string_agg(account_token, ',') FROM iap_account) AS iap,
            (SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized') AS flag,
            (SELECT count(*) FROM ir_mail_server WHERE active) AS active_servers`,
  );

beforeAll(async () => {
  env = await restoreEnv("layout");
}, 120_000);

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("neutralization finds Odoo's scripts where Odoo does", () => {
  test("a git checkout whose addons_path lists only <odoo>/addons still runs base's script: webhooks off", async () => {
    const db = await fixtureDb("acme_prod");
    await armWebhookAndIap(db);
    const root = odooCheckout();
    const res = await neutralizeDatabase(env.conn, env.db(db), { addonsPaths: [join(root, "addons")] });
    expect(res.moduleScripts).toEqual(["base", "iap", "mail"]);
    expect(res.scripts.find((s) => s.module === "base")?.path).toBe(
      join(root, "odoo/addons/base/data/neutralize.sql"),
    );
    const [f] = await facts(db);
    expect(f.webhooks).toBe("neutralization - disable webhook");
    expect(f.iap).toBe("live-token-123+disabled");
    // exactly what Odoo's script stores: the boolean true as text
    expect(f.flag).toBe("true");
    // Odoo's script and ours both insert the dummy: one active server is left
    expect(f.active_servers).toBe("1");
    expect(res.report.filter((l) => l.kind === "as Odoo").map((l) => l.text)).toContain(
      `ran base/data/neutralize.sql (${join(root, "odoo/addons/base/data/neutralize.sql")})`,
    );
    expect(res.report.some((l) => l.kind === "stricter than Odoo" && /payment provider/.test(l.text))).toBe(
      true,
    );
    expect(await verifyNeutralization(env.db(db))).toEqual([]);
  }, 60_000);

  test("verification checks the effect of the scripts: a live webhook or IAP token is still armed", async () => {
    const db = await fixtureDb("acme_prod");
    await neutralizeDatabase(env.conn, env.db(db));
    await armWebhookAndIap(db);
    const armed = (await verifyNeutralization(env.db(db))).join("\n");
    expect(armed).toContain("1 webhook server action(s) still call their URL");
    expect(armed).toContain("IAP account(s) still hold a live token");
  }, 60_000);

  test("fail closed: a module's neutralize.sql that exists but cannot be read stops before any change", async () => {
    const db = await fixtureDb("acme_prod");
    const root = odooCheckout();
    rmSync(join(root, "addons/mail/data/neutralize.sql"));
    mkdirSync(join(root, "addons/mail/data/neutralize.sql")); // present, unreadable as a file
    let err: any = null;
    await neutralizeDatabase(env.conn, env.db(db), { addonsPaths: [join(root, "addons")] }).catch((e) => {
      err = e;
    });
    expect(err?.code).toBe("E_NEUTRALIZE_FAILED");
    expect(err.message).toContain(join(root, "addons/mail/data/neutralize.sql"));
    expect(await env.db(db).scalar("SELECT count(*) FROM ir_cron WHERE active")).toBe("15");
  }, 60_000);

  test("fail closed: addons paths that do not exist on this server (a container's) are not 'no scripts'", async () => {
    const db = await fixtureDb("acme_prod");
    let err: any = null;
    await neutralizeDatabase(env.conn, env.db(db), {
      addonsPaths: ["/mnt/extra-addons", "/usr/lib/python3/dist-packages/odoo/addons"],
    }).catch((e) => {
      err = e;
    });
    expect(err?.code).toBe("E_NEUTRALIZE_FAILED");
    expect(err.message).toContain("none of the addons paths");
  }, 60_000);
});

describe("module lookup in Odoo's order", () => {
  test("<odoo>/odoo/addons, then data_dir/addons/<series>, then addons_path: first wins", async () => {
    const root = odooCheckout();
    const data = testDir("data-dir");
    dirs.push(data);
    const custom = join(root, "custom");
    // a shadow copy of base in addons_path and of mail in data_dir
    put(join(custom, "base/__manifest__.py"), "{'name': 'Base (shadow)', 'version': '9.9'}");
    put(join(custom, "base/data/neutralize.sql"), "SELECT 1/0;");
    put(join(data, "addons/17.0/mail/__manifest__.py"), "{'name': 'Discuss (downloaded)', 'version': '2.0'}");
    const input = { addonsPaths: [custom, join(root, "addons")], dataDir: data, series: "17.0" };
    const roots = await addonsRoots(env.conn, input);
    expect(roots.map((r) => [r.source, r.path])).toEqual([
      ["odoo", join(root, "odoo/addons")],
      ["data_dir", join(data, "addons/17.0")],
      ["addons_path", custom],
      ["addons_path", join(root, "addons")],
    ]);
    const base = await findModuleFile(env.conn, roots, "base/data/neutralize.sql");
    expect(base.found && base.path).toBe(join(root, "odoo/addons/base/data/neutralize.sql"));

    const scan = await scanOdooAddons(env.conn, input, "17.0");
    expect(scan.modules.get("base")?.dir).toBe(join(root, "odoo/addons/base"));
    expect(scan.modules.get("base")?.shadowed).toEqual([join(custom, "base")]);
    expect(scan.modules.get("mail")?.manifest?.name).toBe("Discuss (downloaded)");
    expect(scan.modules.get("mail")?.shadowed).toEqual([join(root, "addons/mail")]);
  });
});

describe("mail routing: the database's own server wins over the conf's relay", () => {
  test("a neutralized copy on prod's server (conf names the real relay) is allowed, with a warning", async () => {
    const db = await fixtureDb("acme_prod");
    await neutralizeDatabase(env.conn, env.db(db));
    const opts = { confSmtpServer: "smtp.acme-corp.example" };
    const r = await checkNeutralization(env.db(db), opts);
    expect(r.armed).toEqual([]);
    expect(r.warnings.join("\n")).toContain("smtp.acme-corp.example");
    // with no active mail server left Odoo falls back to the conf: refused
    await env.db(db).query("UPDATE ir_mail_server SET active = false");
    const r2 = await checkNeutralization(env.db(db), opts);
    expect(r2.armed.join("\n")).toContain(
      "fall back to the target's odoo.conf smtp_server smtp.acme-corp.example",
    );
  }, 60_000);

  test("restore of prod into a new database whose conf names prod's relay goes live, the warning in its report", async () => {
    const res = await restoreToNewDatabase({
      ...env,
      source: FIXTURES.prodOdooBackupZip,
      dbName: "layout_prod_copy",
      neutralize: { confSmtpServer: "smtp.acme-corp.example" },
    });
    expect(res.neutralized).toBe(true);
    const warning = res.neutralizeReport.find(
      (l) => l.kind === "warning" && l.text.includes("smtp.acme-corp"),
    );
    expect(warning?.text).toContain("takes precedence");
    expect(await env.db("layout_prod_copy").scalar("SELECT count(*) FROM ir_mail_server WHERE active")).toBe(
      "1",
    );
  }, 120_000);
});

/** An odoo.conf for the checkout: the test cluster as `odoo`, addons_path = <root>/addons only. */
function confFor(root: string, addons = join(root, "addons")): string {
  const path = join(root, "odoo.conf");
  writeFileSync(
    path,
    `[options]\ndb_host = ${env.pg.host}\ndb_port = ${env.pg.port}\ndb_user = ${env.pg.user}\n` +
      `db_password = ${env.pg.password}\naddons_path = ${addons}\n`,
  );
  return path;
}

describe("odoo-bin out of the box", () => {
  test("a checkout whose odoo-bin is not executable runs as python3 <root>/odoo-bin", async () => {
    const root = odooCheckout();
    const exe = await resolveOdooExecutable(env.conn, { addonsPaths: [join(root, "addons")] });
    expect(exe.found && exe.state).toBe("not executable");
    expect(exe.found && exe.argv).toEqual(["python3", join(root, "odoo-bin")]);
    expect(exe.found && exe.note).toBe(
      `${join(root, "odoo-bin")} is not executable: run as python3 ${join(root, "odoo-bin")}`,
    );
    // the restore test's last check starts Odoo that way and says so
    const c = await odooStartCheck(env.conn, exe, { confPath: confFor(root), dbName: "acme" });
    expect(c.status).toBe("ok");
    expect(c.message).toStartWith(`${join(root, "odoo-bin")} is not executable: run as python3`);
  });

  test("no odoo-bin anywhere: the restore test's start check is skipped with what was looked at", async () => {
    const root = odooCheckout();
    rmSync(join(root, "odoo-bin"));
    const exe = await resolveOdooExecutable(env.conn, { addonsPaths: [join(root, "addons")] });
    expect(exe.found).toBe(false);
    const c = await odooStartCheck(env.conn, exe, { confPath: confFor(root), dbName: "acme" });
    expect(c.status).toBe("skipped");
    expect(c.message).toContain("skipped: odoo-bin not found: no odoo-bin found on local");
    expect(c.message).toContain(join(root, "odoo-bin"));
  });
});

describe("odoo-bin neutralize --stdout is the reference", () => {
  test("the scripts found match what Odoo prints: said in the report", async () => {
    const db = await fixtureDb("acme_prod");
    const root = odooCheckout();
    const res = await neutralizeDatabase(env.conn, env.db(db), {
      addonsPaths: [join(root, "addons")],
      reference: { confPath: confFor(root), addonsPaths: [join(root, "addons")] },
    });
    expect(res.moduleScripts).toEqual(["base", "iap", "mail"]);
    const line = res.report.find((l) => l.text.includes("neutralize") && l.text.includes("--stdout"));
    expect(line?.kind).toBe("as Odoo");
    expect(line?.text).toContain(
      `the scripts are exactly what \`python3 ${join(root, "odoo-bin")} neutralize`,
    );
  }, 60_000);

  test("Odoo runs a script odoodeck did not find: fail closed, nothing changed", async () => {
    const db = await fixtureDb("acme_prod");
    const root = odooCheckout();
    // what odoodeck sees: another copy of the checkout, without iap's script
    const seen = odooCheckout();
    rmSync(join(seen, "addons/iap/data/neutralize.sql"));
    rmSync(join(seen, "odoo-bin"));
    let err: any = null;
    await neutralizeDatabase(env.conn, env.db(db), {
      addonsPaths: [join(seen, "addons")],
      reference: { confPath: confFor(root), addonsPaths: [join(root, "addons")] },
    }).catch((e) => {
      err = e;
    });
    expect(err?.code).toBe("E_NEUTRALIZE_FAILED");
    expect(err.message).toContain("that odoodeck did not find");
    expect(err.message).toContain("iap");
    expect(err.message).toContain("UPDATE iap_account SET account_token");
    expect(await env.db(db).scalar("SELECT count(*) FROM ir_cron WHERE active")).toBe("15");
  }, 60_000);

  test("base's script missing from a layout we can see is refused (Odoo always ships it)", async () => {
    const db = await fixtureDb("acme_prod");
    const root = odooCheckout();
    rmSync(join(root, "odoo"), { recursive: true });
    let err: any = null;
    await neutralizeDatabase(env.conn, env.db(db), { addonsPaths: [join(root, "addons")] }).catch((e) => {
      err = e;
    });
    expect(err?.code).toBe("E_NEUTRALIZE_FAILED");
    expect(err.message).toContain("base/data/neutralize.sql was found in none of the folders Odoo searches");
    expect(await env.db(db).scalar("SELECT count(*) FROM ir_cron WHERE active")).toBe("15");
  }, 60_000);
});

describe("queued mail naming production's server", () => {
  test("a queued mail whose message names a deactivated server is routed through the active one, and verified", async () => {
    const db = await fixtureDb("acme_prod");
    // Odoo 17: mail_mail inherits mail_message, which holds mail_server_id
    const queue = `UPDATE mail_mail SET state = 'outgoing';
                   UPDATE mail_message SET mail_server_id =
                     (SELECT id FROM ir_mail_server WHERE smtp_host = 'smtp.acme-corp.example')
                    WHERE id IN (SELECT mail_message_id FROM mail_mail)`;
    await env.db(db).query(queue);
    const res = await neutralizeDatabase(env.conn, env.db(db));
    expect(
      await env.db(db).scalar("SELECT count(*) FROM mail_message WHERE mail_server_id IS NOT NULL"),
    ).toBe("0");
    expect(res.report.some((l) => l.kind === "stricter than Odoo" && l.text.includes("mail_mail"))).toBe(
      true,
    );
    await env.db(db).query(queue);
    expect((await verifyNeutralization(env.db(db))).join("\n")).toContain(
      "8 message(s) name a deactivated mail server",
    );
  }, 60_000);
});
