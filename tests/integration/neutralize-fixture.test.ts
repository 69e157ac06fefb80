import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { neutralizeDatabase } from "../../plugins/backup/neutralize/neutralize.ts";
import { verifyNeutralization } from "../../plugins/backup/neutralize/neutralize-verify.ts";
import { restoreToNewDatabase } from "../../plugins/backup/restore/restore.ts";
import { type RestoreEnv, restoreEnv, testDir } from "../../plugins/backup/tests/restore-test-helpers.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { fixtureDb } from "../helpers/pg.ts";

let env: RestoreEnv;

beforeAll(async () => {
  env = await restoreEnv("neutralize");
}, 120_000);

const facts = (db: string) =>
  env.db(db).query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM ir_cron WHERE active) AS crons,
            (SELECT count(*) FROM fetchmail_server WHERE active) AS fetchmail,
            (SELECT string_agg(name || '@' || smtp_host || ':' || smtp_port, ',') FROM ir_mail_server WHERE active) AS mail,
            (SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized') AS flag,
            (SELECT count(*) FROM mail_template WHERE mail_server_id IS NOT NULL) AS templates,
            (SELECT count(*) FROM ir_mail_server WHERE smtp_user IS NOT NULL OR smtp_pass IS NOT NULL) AS creds,
            (SELECT value FROM ir_config_parameter WHERE key = 'acme.payment_provider_key') AS provider_key,
            (SELECT value FROM ir_config_parameter WHERE key = 'web.base.url') AS base_url,
            (SELECT value FROM ir_config_parameter WHERE key = 'database.uuid') AS uuid`,
  );

describe("neutralization of acme_prod", () => {
  test("matches what odoo-bin neutralize leaves, plus scrubbed credentials and keys", async () => {
    const db = await fixtureDb("acme_prod");
    const [before] = await facts(db);
    expect(before).toMatchObject({ crons: "15", fetchmail: "1", flag: null, provider_key: "pk_live_ABC123" });
    expect(await verifyNeutralization(env.db(db))).not.toEqual([]);
    await neutralizeDatabase(env.conn, env.db(db), { mode: "copy" });
    const [after] = await facts(db);
    expect(after).toMatchObject({
      crons: "1",
      fetchmail: "0",
      mail: "neutralization - disable emails@invalid:1025",
      flag: "true",
      templates: "0",
      creds: "0",
      provider_key: "",
      base_url: "https://erp.acme-corp.example",
    });
    expect(after.uuid).not.toBe(before.uuid);
    expect(await env.db(db).scalar("SELECT cron_name FROM ir_cron WHERE active")).toBe(
      "Base: Auto-vacuum internal data",
    );
    expect(await verifyNeutralization(env.db(db), { confSmtpServer: "localhost" })).toEqual([]);
  }, 60_000);

  test("'move' keeps database.uuid; the catcher replaces the dummy; running twice is harmless", async () => {
    const db = await fixtureDb("acme_prod");
    const [before] = await facts(db);
    const opts = { mode: "move" as const, catcher: { host: "127.0.0.1", port: 2525 } };
    await neutralizeDatabase(env.conn, env.db(db), opts);
    await neutralizeDatabase(env.conn, env.db(db), opts);
    const [after] = await facts(db);
    expect(after.uuid).toBe(before.uuid);
    expect(after.mail).toBe("neutralization - disable emails@127.0.0.1:2525");
    expect(await verifyNeutralization(env.db(db), opts)).toEqual([]);
  }, 60_000);

  test("modules' data/neutralize.sql run from the addons path when reachable", async () => {
    const db = await fixtureDb("acme_prod");
    const addons = testDir("addons");
    mkdirSync(join(addons, "crm/data"), { recursive: true });
    writeFileSync(
      join(addons, "crm/data/neutralize.sql"),
      "-- from the crm module\nUPDATE ir_config_parameter SET value = 'neutral' WHERE key = 'acme.feature_flag';\n",
    );
    // Odoo always ships base's script: a layout without it is refused (odoo-layout.test.ts)
    mkdirSync(join(addons, "base/data"), { recursive: true });
    writeFileSync(join(addons, "base/data/neutralize.sql"), "UPDATE ir_cron SET active = false;\n");
    mkdirSync(join(addons, "project/data"), { recursive: true }); // not installed in acme_prod: skipped
    writeFileSync(join(addons, "project/data/neutralize.sql"), "SELECT 1/0;");
    const res = await neutralizeDatabase(env.conn, env.db(db), { addonsPaths: ["/nonexistent", addons] });
    expect(res.moduleScripts).toEqual(["base", "crm"]);
    expect(
      await env.db(db).scalar("SELECT value FROM ir_config_parameter WHERE key = 'acme.feature_flag'"),
    ).toBe("neutral");
  }, 60_000);

  test("verification lists what is still armed", async () => {
    const db = await fixtureDb("acme_prod");
    await neutralizeDatabase(env.conn, env.db(db));
    await env.db(db).query("UPDATE ir_cron SET active = true WHERE cron_name = 'Digest Emails'");
    await env.db(db).query("UPDATE fetchmail_server SET active = true");
    await env.db(db).query("UPDATE ir_mail_server SET active = false");
    const armed = await verifyNeutralization(env.db(db), { confSmtpServer: "smtp.gmail.com" });
    expect(armed).toHaveLength(3);
    expect(armed.join("\n")).toContain("Digest Emails");
    expect(armed.join("\n")).toContain("fetchmail");
    expect(armed.join("\n")).toContain("smtp.gmail.com");
  }, 60_000);

  test("fail closed: a module script the target cannot read means the copy never goes live", async () => {
    const addons = testDir("addons-unreadable");
    mkdirSync(join(addons, "crm/data/neutralize.sql"), { recursive: true }); // there, but not a readable file
    let err: any = null;
    try {
      await restoreToNewDatabase({
        ...env,
        source: FIXTURES.prodOdooBackupZip,
        dbName: "neutral_fail",
        neutralize: { addonsPaths: [addons], confSmtpServer: "smtp.gmail.com" },
      });
    } catch (e) {
      err = e;
    }
    expect(err?.code).toBe("E_NEUTRALIZE_FAILED");
    expect(err.message).toContain(join(addons, "crm/data/neutralize.sql"));
    const dbs = await env.pgInfo.psql(
      "postgres",
      "SELECT datname FROM pg_database WHERE datname LIKE 'neutral_fail%'",
    );
    expect(dbs.trim()).toBe("");
    expect(readdirSync(env.filestoreRoot).filter((n) => n.startsWith("neutral_fail"))).toEqual([]);
  }, 120_000);

  test("restore into a new database neutralizes by default", async () => {
    const res = await restoreToNewDatabase({
      ...env,
      source: FIXTURES.prodOdooBackupZip,
      dbName: "neutral_ok",
    });
    expect(res.neutralized).toBe(true);
    const [f] = await facts("neutral_ok");
    expect(f).toMatchObject({ crons: "1", fetchmail: "0", flag: "true", templates: "0" });
  }, 120_000);
});
