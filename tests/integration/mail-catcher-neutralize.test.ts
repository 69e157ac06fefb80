/**
 * Every neutralized database sends its mail to a mailbox of its own in odoodeck's mail catcher
 * (issue 21): the restored copy's one active mail server points at the catcher with that
 * mailbox's login, mail sent exactly as Odoo would (that row's host, port, user, password, no
 * TLS) lands there and nowhere else, the mailbox goes with the database, and a target whose
 * odoo.conf names a real relay is not refused: the database's own server wins.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import backupPlugin from "../../plugins/backup/index.ts";
import mailCatcherPlugin from "../../plugins/mail-catcher/index.ts";
import type { MailCatcherService } from "../../plugins/mail-catcher/contract.ts";
import { odoo } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { localConnection } from "../helpers/local-connection.ts";
import { getPg } from "../helpers/pg.ts";
import { acmeOnDisk, setBackupSettings } from "./backup-helpers.ts";

let t: TestApp & { dir: string };
let instId: number;
let svc: MailCatcherService;
const newDb = `mc_copy_${process.pid}`;
let upload: string;

async function waitOp(id: string) {
  for (;;) {
    const { body } = await t.admin.getJson(`/api/v1/operations/${id}`);
    if (body.data.status !== "running") return body.data;
    await Bun.sleep(200);
  }
}
async function db(name: string) {
  const pg = await getPg();
  return new odoo.OdooDb(await localConnection(), {
    host: pg.host,
    port: pg.port,
    user: pg.odooUser,
    password: pg.odooPassword,
    database: name,
  });
}
const mailboxOf = async (box: { mailbox: number; user: string; password: string }) => {
  const res = await fetch(`${t.url}/pub/mail-catcher/mailpit/${box.mailbox}/api/v1/messages`, {
    headers: { Authorization: `Basic ${btoa(`${box.user}:${box.password}`)}` },
  });
  return (await res.json()) as { messages_count: number; messages: Array<{ Subject: string }> };
};

beforeAll(async () => {
  t = Object.assign(await startTestApp({ plugins: [backupPlugin, mailCatcherPlugin] }), {
    dir: mkdtempSync(join(tmpdir(), "odoodeck-mcn-")),
  });
  const acme = await acmeOnDisk(t.dir, "staging");
  // the target's conf names a real relay: Odoo's fallback when a database has no mail server
  appendFileSync(acme.confPath, "smtp_server = smtp.relay.example.com\nsmtp_port = 587\n");
  instId = await t.addLocalInstance({ name: "staging", confPath: acme.confPath, dbName: acme.db });
  await setBackupSettings(t, { localDir: join(t.dir, "backups") });
  // as if uploaded on the Restore page: restores read only from the upload and backup folders
  mkdirSync(join(t.dataDir, "backup-uploads"), { recursive: true });
  upload = join(t.dataDir, "backup-uploads", "acme_prod.odoo-backup.zip");
  copyFileSync(FIXTURES.prodOdooBackupZip, upload);
  svc = t.core.services.get("mailCatcher") as MailCatcherService;
  await t.admin.page("/");
}, 120_000);
afterAll(async () => {
  await (await db("postgres")).query(`DROP DATABASE IF EXISTS :"n"`, { n: newDb }).catch(() => {});
  await t?.stop();
});

describe("neutralized databases send to a mailbox of their own", () => {
  let row: { smtp_host: string; smtp_port: string; smtp_user: string; smtp_pass: string };

  test("a restore into a new database: its one active mail server is the catcher, with its mailbox's login", async () => {
    const r = await t.admin.postJson(`/api/v1/backup/i/${instId}/restore`, {
      source: upload,
      target: "new",
      dbName: newDb,
    });
    expect(r.body).toMatchObject({ ok: true });
    const op = await waitOp(r.body.data.operationId);
    expect(op.status).toBe("ok");
    const rows = await (await db(newDb)).query<typeof row>(
      "SELECT smtp_host, smtp_port::text AS smtp_port, smtp_user, smtp_pass, smtp_encryption FROM ir_mail_server WHERE active",
    );
    expect(rows.length).toBe(1);
    row = rows[0]!;
    const box = await svc.mailboxFor(instId, newDb); // the same mailbox, not a new one
    expect(row.smtp_host).toBe(box.host);
    expect(Number(row.smtp_port)).toBe(box.port);
    expect(row.smtp_user).toBe(box.user);
    expect(row.smtp_pass).toBe(box.password);
    const report: string = JSON.stringify(op);
    expect(report).toContain("outgoing mail goes to odoodeck's mail catcher (mailbox");
    // not refused for the conf's relay; the report says why that is fine
    expect(report).toContain("smtp.relay.example.com");
    expect(report).toContain("odoodeck's mail catcher");
  }, 180_000);

  test("mail sent with exactly that row's settings lands in that mailbox and in no other", async () => {
    const other = await svc.mailboxFor(null, "someone_else");
    await nodemailer
      .createTransport({
        host: row.smtp_host,
        port: Number(row.smtp_port),
        secure: false,
        ignoreTLS: true, // smtp_encryption 'none', as Odoo sends with it
        auth: { user: row.smtp_user, pass: row.smtp_pass },
      })
      .sendMail({
        from: "sales@acme.test",
        to: "customer@example.com",
        subject: "Invoice INV/42",
        text: "hi",
      });
    const box = await svc.mailboxFor(instId, newDb);
    const mine = await mailboxOf(box);
    expect(mine.messages.map((m) => m.Subject)).toEqual(["Invoice INV/42"]);
    expect((await mailboxOf(other)).messages_count).toBe(0);
    await svc.drop(other.mailbox);
  }, 60_000);

  test("a restore test's scratch database gets a mailbox while it lives; it goes with the scratch copy", async () => {
    const b = await t.admin.postJson(`/api/v1/backup/instances/${instId}/backups`, {
      wait: true,
      scope: "db",
      destinations: "local",
    });
    expect(b.body.data.backup.status).toBe("ok");
    const events: string[] = [];
    const off1 = t.core.bus.on("database.neutralized", (e) => void events.push(`neutralized ${e.dbName}`));
    const off2 = t.core.bus.on("database.dropped", (e) => void events.push(`dropped ${e.dbName}`));
    const r = await t.admin.postJson(`/api/v1/backup/i/${instId}/restore-tests`, { wait: true });
    off1();
    off2();
    const rt = r.body.data.test;
    const neutral = rt.checks.find((c: any) => c.name === "neutralize");
    expect(neutral.status).toBe("ok");
    expect(JSON.stringify(neutral.details)).toContain("odoodeck's mail catcher (mailbox");
    expect(events).toEqual([`neutralized ${rt.scratchDb}`, `dropped ${rt.scratchDb}`]);
    await Bun.sleep(200); // the catcher drops the mailbox on the event
    const rows = await t.core.db
      .selectFrom("mail_catcher_mailboxes" as any)
      .selectAll()
      .execute();
    expect(rows.map((m: any) => m.db_name)).not.toContain(rt.scratchDb);
    expect(rows.map((m: any) => m.db_name)).toContain(newDb);
  }, 300_000);
});
