/**
 * Every preview its own mailbox (issues 19 and 21): two previews cloned from one template send,
 * with the mail server Odoo finds in each preview's database, into two inboxes of their own; the
 * template's inbox gets nothing; the preview page's "mails" link opens its own inbox; reset keeps
 * it its own; destroy and the TTL take the mailbox, its rows and its raw files with the database.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import type { MailCatcherService } from "../../plugins/mail-catcher/contract.ts";
import type { PreviewsService } from "../../plugins/previews/service.ts";
import type { TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import { dropPreviews, previewsWithTemplate } from "../helpers/previews.ts";

let t: TestApp;
let svc: PreviewsService;
let mc: MailCatcherService;
let dir: string;
let instanceId: number;

interface Row {
  smtp_host: string;
  smtp_port: string;
  smtp_user: string;
  smtp_pass: string;
}

/** The active mail servers of a preview's database, as Odoo reads them. */
async function mailServers(db: string): Promise<Row[]> {
  const out = await (await getPg()).psql(
    db,
    "SELECT smtp_host, smtp_port, smtp_user, smtp_pass FROM ir_mail_server WHERE active ORDER BY sequence, id",
  );
  return out
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [smtp_host, smtp_port, smtp_user, smtp_pass] = l.split("|");
      return { smtp_host, smtp_port, smtp_user, smtp_pass };
    });
}

/** Sends as Odoo does with that row: its host, port and login, no TLS (smtp_encryption 'none'). */
const sendWith = (r: Row, subject: string) =>
  nodemailer
    .createTransport({
      host: r.smtp_host,
      port: Number(r.smtp_port),
      secure: false,
      ignoreTLS: true,
      auth: { user: r.smtp_user, pass: r.smtp_pass },
    })
    .sendMail({ from: "sales@acme.test", to: "customer@example.com", subject, text: "hi" });

const mailboxRows = async (db: string) =>
  t.core.db
    .selectFrom("mail_catcher_mailboxes" as any)
    .selectAll()
    .where("db_name", "=", db)
    .execute() as Promise<Array<{ id: number; smtp_user: string }>>;

/** The template's mailbox: made when it was neutralized, under its temporary name. */
const TEMPLATE_MAILBOX = "acme_tpl__new";

/** Subjects in the mailbox of `db` on the instance, through the Mailpit API as an admin. */
async function subjectsOf(db: string): Promise<string[]> {
  const [box] = await mailboxRows(db);
  const r = await t.admin.getJson(`/api/v1/mail-catcher/mailpit/${box.id}/api/v1/messages`);
  expect(r.status).toBe(200);
  return (r.body.messages as Array<{ Subject: string }>).map((m) => m.Subject).sort();
}

async function created(name: string) {
  const r = await svc.create({ name, template: "acme", branch: "feature", owner: "admin" }, "admin");
  const snap = await r.done;
  expect(snap.status).toBe("ok");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-preview-mail-"));
  ({ t, svc, instanceId } = await previewsWithTemplate(dir));
  mc = t.core.services.get("mailCatcher") as MailCatcherService;
  await created("mba");
  await created("mbb");
}, 300_000);

afterAll(async () => {
  await dropPreviews(svc);
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("every preview its own mailbox", () => {
  test("each preview's database sends with a login of its own, not its template's", async () => {
    const a = await mailServers("p_mba");
    const b = await mailServers("p_mbb");
    expect(a.length).toBe(1);
    expect(b.length).toBe(1);
    const [tpl] = await mailboxRows(TEMPLATE_MAILBOX);
    expect(tpl).toBeDefined();
    expect(a[0].smtp_user).toBe((await mailboxRows("p_mba"))[0].smtp_user);
    expect(b[0].smtp_user).toBe((await mailboxRows("p_mbb"))[0].smtp_user);
    expect(new Set([a[0].smtp_user, b[0].smtp_user, tpl.smtp_user]).size).toBe(3);
  });

  test("mail from each lands in its own inbox only; the template's inbox gets none", async () => {
    await sendWith((await mailServers("p_mba"))[0], "From preview A");
    await sendWith((await mailServers("p_mbb"))[0], "From preview B");
    expect(await subjectsOf("p_mba")).toEqual(["From preview A"]);
    expect(await subjectsOf("p_mbb")).toEqual(["From preview B"]);
    expect(await subjectsOf(TEMPLATE_MAILBOX)).toEqual([]);
  }, 30_000);

  test("the preview page's mails link opens that preview's own inbox", async () => {
    const { html } = await t.admin.page("/p/previews/mba");
    const links = /<nav class="actions" id="preview-links">(.*?)<\/nav>/s.exec(html)![1];
    const mails = [...links.matchAll(/href="([^"]+)"/g)].map((m) => m[1]).at(-1)!;
    expect(mails).toBe(`/p/mail-catcher/i/${instanceId}/db/p_mba`);
    const inbox = (await t.admin.page(mails)).html;
    expect(inbox).toContain("From preview A");
    expect(inbox).not.toContain("From preview B");
    // as the instance's inbox: a user with no role on the instance is refused
    const stranger = await t.client("none");
    const refused = await stranger.get(mails);
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain("From preview A");
  }, 30_000);

  test("reset clones the template again and gives the new database the preview's mailbox back", async () => {
    const before = (await mailboxRows("p_mba"))[0];
    const r = await svc.reset("mba", "admin");
    expect((await r.done).status).toBe("ok");
    const [row] = await mailServers("p_mba");
    expect(row.smtp_user).toBe(before.smtp_user);
    await sendWith(row, "After reset");
    expect(await subjectsOf("p_mba")).toEqual(["After reset", "From preview A"]);
    expect(await subjectsOf(TEMPLATE_MAILBOX)).toEqual([]);
  }, 120_000);

  test("destroy takes the mailbox row and its raw message files; the other preview keeps its own", async () => {
    const [box] = await mailboxRows("p_mba");
    const files = join(t.dataDir, "mail", String(box.id));
    expect(readdirSync(files).length).toBe(2);
    await svc.destroy("mba");
    expect(await mailboxRows("p_mba")).toEqual([]);
    expect(existsSync(files)).toBe(false);
    expect(await subjectsOf("p_mbb")).toEqual(["From preview B"]);
    expect((await t.admin.get(`/p/mail-catcher/i/${instanceId}/db/p_mba`)).status).toBe(404);
    expect((await mailboxRows(TEMPLATE_MAILBOX)).length).toBe(1);
  }, 60_000);

  test("the TTL job's teardown takes the mailbox too", async () => {
    const [box] = await mailboxRows("p_mbb");
    await svc.store.update("mbb", { expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(await svc.expire()).toEqual(["mbb"]);
    expect(await mailboxRows("p_mbb")).toEqual([]);
    expect(existsSync(join(t.dataDir, "mail", String(box.id)))).toBe(false);
    expect(await mc.dropFor(instanceId, "p_mbb")).toBe(false);
  }, 60_000);

  test("an operator granted only this instance destroys its preview from the page by typing its name; a viewer may not", async () => {
    await created("mbc");
    const grant = async (username: string, role: "operator" | "viewer") => {
      const u = await t.core.db
        .selectFrom("users")
        .select("id")
        .where("username", "=", username)
        .executeTakeFirstOrThrow();
      await t.core.db.insertInto("grants").values({ user_id: u.id, instance_id: instanceId, role }).execute();
    };
    const viewer = await t.client("none", "pv-viewer");
    await grant("pv-viewer", "viewer");
    const operator = await t.client("none", "pv-operator");
    await grant("pv-operator", "operator");
    const refused = await viewer.post("/p/previews/mbc/destroy", { confirm: "mbc" });
    expect(refused.status).toBe(403);
    expect(await svc.store.get("mbc")).not.toBeNull();
    const stranger = await t.client("none", "pv-stranger");
    expect((await stranger.post("/p/previews/mbc/destroy", { confirm: "mbc" })).status).toBe(404);
    // The preview's page asks for its name to be typed, like deleting an instance.
    const { html } = await operator.page("/p/previews/mbc");
    const form = /<form[^>]*action="\/p\/previews\/mbc\/destroy"[\s\S]*?<\/form>/.exec(html)?.[0] ?? "";
    expect(form).toMatch(/<input[^>]*name="confirm"[^>]*placeholder="type mbc to confirm"/);
    // Pressing Destroy without typing, or typing another name: the page again with a flash, nothing destroyed.
    for (const typed of [undefined, "mbd"]) {
      const wrong = await operator.post(
        "/p/previews/mbc/destroy",
        typed === undefined ? {} : { confirm: typed },
      );
      expect(wrong.status).toBe(400);
      const page = await wrong.text();
      expect(page).toContain("E_CONFIRMATION");
      expect(page).toContain("type mbc to confirm");
      expect(await svc.store.get("mbc")).not.toBeNull();
    }
    const done = await operator.post("/p/previews/mbc/destroy", { confirm: "mbc" });
    expect(done.status).toBe(303);
    expect(await svc.store.get("mbc")).toBeNull();
    expect(await mailboxRows("p_mbc")).toEqual([]);
  }, 120_000);
});
