/**
 * The mail catcher as users and Odoo meet it: nodemailer over STARTTLS + AUTH to the real SMTP
 * server, Mailpit's own client on the API, pages through HTTP, a stand-in Odoo XML-RPC endpoint.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MailpitClient } from "mailpit-api";
import type { MailCatcherService, MailboxCredentials } from "../../plugins/mail-catcher/contract.ts";
import { writeSettings } from "../../server/plugin-host/settings.ts";
import { catcherTransport } from "../helpers/catcher-transport.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
let svc: MailCatcherService;
let a: MailboxCredentials;
let b: MailboxCredentials;

const transport = catcherTransport;
const mailpit = (m: MailboxCredentials) =>
  new MailpitClient(`${t.url}/pub/mail-catcher/mailpit/${m.mailbox}`, {
    auth: { username: m.user, password: m.password },
  });
const setSettings = async (input: Record<string, unknown>) => {
  const rec = t.core.host.get("mail-catcher")!;
  await writeSettings(t.core.db, t.core.secrets, "mail-catcher", rec.def!.settings!, input);
  await Bun.sleep(2200); // the SMTP side re-reads settings every 2 s
};

beforeAll(async () => {
  t = await startTestApp();
  svc = t.core.services.get("mailCatcher") as MailCatcherService;
  a = await svc.mailboxFor(null, "acme_copy");
  b = await svc.mailboxFor(null, "acme_preview");
});
afterAll(async () => {
  await t.stop();
});

describe("mail catcher: SMTP", () => {
  test("a mail sent with STARTTLS + AUTH lands in that database's mailbox only; Mailpit's client reads it", async () => {
    expect(a.user).not.toBe(b.user);
    const info = await transport(a).sendMail({
      from: "Acme <sales@acme.test>",
      to: "customer@example.com",
      subject: "Quotation S00042",
      html: '<p>Your quote</p><img src="https://tracker.example/pixel.gif">',
      text: "Your quote",
      headers: { "X-Odoo-Objects": "sale.order-42" },
      attachments: [{ filename: "S00042.pdf", content: Buffer.from("%PDF-1.4 fake") }],
    });
    expect(info.response).toContain("250");
    const list = await mailpit(a).listMessages();
    expect(list.messages_count).toBe(1);
    expect(list.messages[0].Subject).toBe("Quotation S00042");
    expect(list.messages[0].To[0].Address).toBe("customer@example.com");
    const full = await mailpit(a).getMessageSummary(list.messages[0].ID);
    expect(full.Attachments.map((x) => x.FileName)).toEqual(["S00042.pdf"]);
    expect(full.HTML).toContain("Your quote");
    expect((await mailpit(b).listMessages()).messages_count).toBe(0);
    // another mailbox's credentials do not open this one
    await expect(
      new MailpitClient(`${t.url}/pub/mail-catcher/mailpit/${a.mailbox}`, {
        auth: { username: b.user, password: b.password },
      }).listMessages(),
    ).rejects.toThrow("404");
  });

  test("a wrong password is refused with 535", async () => {
    const err = await transport(a, "wrong")
      .sendMail({ from: "x@acme.test", to: "y@example.com", text: "x" })
      .catch((e) => e);
    expect(err.responseCode).toBe(535);
  });

  test("search, delete through Mailpit's client", async () => {
    await transport(a).sendMail({
      from: "hr@acme.test",
      to: "bob@example.com",
      subject: "Payslip",
      text: "salary slip",
    });
    const m = mailpit(a);
    expect((await m.searchMessages({ query: "subject:payslip" })).messages_count).toBe(1);
    expect((await m.searchMessages({ query: "from:hr@acme.test" })).messages_count).toBe(1);
    expect((await m.searchMessages({ query: "slip" })).messages_count).toBe(1);
    expect((await m.searchMessages({ query: "to:nobody@example.com" })).messages_count).toBe(0);
    const id = (await m.searchMessages({ query: "payslip" })).messages[0].ID;
    expect(await m.getMessageSource(id)).toContain("Subject: Payslip");
    await m.deleteMessages({ IDs: [id] });
    expect((await m.searchMessages({ query: "payslip" })).messages_count).toBe(0);
  });

  test("wait-for: the operation returns the mail sent while it waits, and gives up after `within`", async () => {
    const waiting = t.admin.postJson("/api/v1/ops/mail-catcher.wait-for", {
      to: "gate@example.com",
      within: 10,
    });
    await Bun.sleep(300);
    await transport(b).sendMail({
      from: "noreply@acme.test",
      to: "gate@example.com",
      subject: "Smoke",
      text: "ok",
    });
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.body.data.found).toBe(true);
    expect(r.body.data.message.subject).toBe("Smoke");
    expect(r.body.data.waitedMs).toBeLessThan(5000); // answered when the mail came, not at the deadline
    const none = await t.admin.postJson("/api/v1/ops/mail-catcher.wait-for", {
      to: "never@example.com",
      within: 1,
    });
    expect(none.body.data.found).toBe(false);
  });

  test("chaos: a rate of 1 refuses with the mailbox's code (451 then 550), nothing stored", async () => {
    const c = await svc.mailboxFor(null, "acme_chaos");
    for (const code of [451, 550]) {
      const r = await t.admin.postJson("/api/v1/ops/mail-catcher.chaos", {
        mailbox: c.mailbox,
        rate: 1,
        code,
      });
      expect(r.status).toBe(200);
      const err = await transport(c)
        .sendMail({ from: "a@acme.test", to: "b@example.com", text: "x" })
        .catch((e) => e);
      expect(err.responseCode).toBe(code);
    }
    expect((await mailpit(c).listMessages()).messages_count).toBe(0);
    await t.admin.postJson("/api/v1/ops/mail-catcher.chaos", { mailbox: c.mailbox, rate: 0, code: 451 });
    await transport(c).sendMail({ from: "a@acme.test", to: "b@example.com", text: "x" });
    expect((await mailpit(c).listMessages()).messages_count).toBe(1);
  });

  test("retention per mailbox: count keeps the newest; another mailbox is untouched", async () => {
    const r = await svc.mailboxFor(null, "acme_retention");
    for (let i = 1; i <= 5; i++)
      await transport(r).sendMail({ from: "a@acme.test", to: "b@example.com", subject: `n${i}`, text: "x" });
    const res = await t.admin.postJson("/api/v1/ops/mail-catcher.retention", {
      mailbox: r.mailbox,
      count: 3,
    });
    expect(res.body.data.removed).toBe(2);
    const subjects = (await mailpit(r).listMessages()).messages.map((m) => m.Subject);
    expect(subjects).toEqual(["n5", "n4", "n3"]);
    expect((await mailpit(a).listMessages()).messages_count).toBeGreaterThan(0);
  });

  test("malformed MIME and 8-bit headers are stored; a 50 MB attachment is refused with 552, memory bounded", async () => {
    const raw = Buffer.concat([
      Buffer.from("From: Jürgen <j@acme.test>\r\nTo: b@example.com\r\nSubject: Grüße aus Köln\r\n"),
      Buffer.from(
        'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\nContent-Type: text/plain\r\n\r\nbroken body\xff\xfe\r\n',
      ),
    ]);
    await transport(a).sendMail({ envelope: { from: "j@acme.test", to: ["b@example.com"] }, raw });
    const hit = await mailpit(a).searchMessages({ query: "subject:Köln" });
    expect(hit.messages_count).toBe(1);
    expect(hit.messages[0].From.Address).toBe("j@acme.test");

    Bun.gc(true);
    const before = process.memoryUsage().rss;
    const big = Buffer.alloc(50 * 1024 * 1024, 0x61);
    const err = await transport(a)
      .sendMail({
        from: "a@acme.test",
        to: "b@example.com",
        text: "big",
        attachments: [{ filename: "big.bin", content: big }],
      })
      .catch((e) => e);
    expect(err.responseCode).toBe(552);
    Bun.gc(true);
    const grew = (process.memoryUsage().rss - before) / 1048576;
    console.log(`RSS delta after a refused 50 MB attachment: ${grew.toFixed(0)} MB`);
    expect(grew).toBeLessThan(250);
    // still up
    await transport(a).sendMail({ from: "a@acme.test", to: "b@example.com", subject: "after", text: "x" });
    expect((await mailpit(a).searchMessages({ query: "subject:after" })).messages_count).toBe(1);
  }, 60_000);

  test("a flood from one client address is throttled with 421", async () => {
    await setSettings({ floodPerMinute: 10 });
    const f = transport(a);
    const codes: number[] = [];
    for (let i = 0; i < 14; i++)
      codes.push(
        await f.sendMail({ from: "loop@acme.test", to: "b@example.com", text: String(i) }).then(
          () => 250,
          (e) => e.responseCode,
        ),
      );
    expect(codes.filter((c) => c === 421).length).toBeGreaterThan(0);
    await setSettings({ floodPerMinute: 6000 });
  }, 20_000);
});

describe("mail catcher: pages, share, release, inbound", () => {
  test("inbox lists the mail; the message page shows HTML in a sandboxed iframe whose CSP blocks remote content until asked", async () => {
    const { html } = await t.admin.page("/p/mail-catcher/?q=subject%3AQuotation");
    expect(html).toContain("Quotation S00042");
    expect(html).toContain('sse-connect="/p/mail-catcher/live/all"');
    const id = /href="\/p\/mail-catcher\/m\/([\w-]+)"/.exec(html)![1];
    const msg = (await t.admin.page(`/p/mail-catcher/m/${id}`)).html;
    expect(msg).toMatch(/<iframe[^>]*sandbox=""/);
    expect(msg).toContain("Odoo record sale.order #42");
    expect(msg).toContain("S00042.pdf");
    const frame = await t.admin.get(`/p/mail-catcher/m/${id}/html`);
    expect(frame.headers.get("Content-Security-Policy")).toContain("img-src data: cid:");
    expect(frame.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'self'");
    expect(await frame.text()).toContain("tracker.example/pixel.gif");
    const remote = await t.admin.get(`/p/mail-catcher/m/${id}/html?remote=1`);
    expect(remote.headers.get("Content-Security-Policy")).toContain("img-src * data: cid:");
    // a viewer without rights on anything sees no "all" mailbox of no instance? viewers see global ones
    const anon = t.anonymous();
    expect((await anon.get(`/p/mail-catcher/m/${id}`)).status).not.toBe(200);
  });

  test("a share link opens the message read-only without sign-in; a forged or altered one does not", async () => {
    const { html } = await t.admin.page("/p/mail-catcher/?q=subject%3AQuotation");
    const id = /href="\/p\/mail-catcher\/m\/([\w-]+)"/.exec(html)![1];
    await t.admin.page(`/p/mail-catcher/m/${id}`);
    const res = await t.admin.post(`/p/mail-catcher/m/${id}/share`);
    expect(res.status).toBe(303);
    const page = (await t.admin.page(res.headers.get("Location")!)).html;
    const link = /(\/pub\/mail-catcher\/share\/[\w.-]+)/.exec(page)![1];
    const anon = t.anonymous();
    const shared = await anon.get(link);
    expect(shared.status).toBe(200);
    const body = await shared.text();
    expect(body).toContain("Quotation S00042");
    expect(body).toMatch(/<iframe[^>]*sandbox=""/);
    expect(body).not.toContain("<form");
    expect((await anon.get(`${link}/html`)).status).toBe(200);
    // one hex digit of the signature changed (to another digit: "0" for "0" was 1 run in 16)
    const altered = link.slice(0, -1) + (link.endsWith("0") ? "1" : "0");
    expect((await anon.get(altered)).status).toBe(404);
    expect((await anon.request("POST", link)).status).not.toBe(200);
  });

  test("release needs an admin and an allow-listed recipient, and is audited", async () => {
    const relay = await svc.mailboxFor(null, "release_target");
    const { html } = await t.admin.page("/p/mail-catcher/?q=subject%3AQuotation");
    const id = /href="\/p\/mail-catcher\/m\/([\w-]+)"/.exec(html)![1];
    const op = await t.client("operator", "mc-operator");
    await op.page(`/p/mail-catcher/m/${id}`);
    expect((await op.post(`/p/mail-catcher/m/${id}/release`, { to: "qa@partner.test" })).status).toBe(403);
    // the "real" SMTP server here is the catcher itself, through another mailbox
    await setSettings({
      releaseHost: relay.host,
      releasePort: relay.port,
      releaseUser: relay.user,
      releasePassword: relay.password,
      releaseAllow: "@partner.test",
    });
    await t.admin.page(`/p/mail-catcher/m/${id}`);
    const refused = await t.admin.post(`/p/mail-catcher/m/${id}/release`, { to: "ceo@customer.test" });
    expect(refused.status).toBe(403);
    expect((await mailpit(relay).listMessages()).messages_count).toBe(0);
    const okRes = await t.admin.post(`/p/mail-catcher/m/${id}/release`, { to: "qa@partner.test" });
    expect(okRes.status).toBe(200);
    expect(await okRes.text()).toContain("qa@partner.test");
    const got = await mailpit(relay).listMessages();
    expect(got.messages[0].Subject).toBe("Quotation S00042");
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "mail-catcher.release")
      .execute();
    // the page runs mail-catcher.release: the operator's refusal is audited too (the executor's rule)
    expect(audit.map((r: any) => r.result).sort()).toEqual(["error", "error", "ok"]);
  }, 20_000);

  test("inbound: composing to an alias calls message_process over XML-RPC as odoo-mailgate does", async () => {
    const calls: string[] = [];
    const odoo = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(req) {
        const body = await req.text();
        calls.push(`${new URL(req.url).pathname} ${body}`);
        const value = body.includes("<methodName>login<") ? "<int>2</int>" : "<int>77</int>";
        return new Response(
          `<?xml version="1.0"?><methodResponse><params><param><value>${value}</value></param></params></methodResponse>`,
          { headers: { "Content-Type": "text/xml" } },
        );
      },
    });
    try {
      const { FIXTURES } = await import("../helpers/fixtures.ts");
      const instanceId = await t.addLocalInstance({
        name: "mc-inbound",
        confPath: FIXTURES.prodConf,
        dbName: "acme",
      });
      await t.core.db
        .updateTable("instances")
        .set({ public_url: `http://127.0.0.1:${odoo.port}` })
        .where("id", "=", instanceId)
        .execute();
      await setSettings({ inboundUser: "admin", inboundPassword: "odoo-api-key" });
      await t.admin.page(`/p/mail-catcher/i/${instanceId}`);
      const res = await t.admin.post(`/p/mail-catcher/i/${instanceId}/inbound`, {
        from: "lead@prospect.test",
        to: "sales@acme.test",
        subject: "Interested in 50 chairs",
        text: "Please call me",
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("answered 77");
      expect(calls[0]).toContain("/xmlrpc/2/common");
      expect(calls[1]).toContain("/xmlrpc/2/object");
      expect(calls[1]).toContain("<string>message_process</string>");
      const b64 = /<base64>([^<]+)<\/base64>/.exec(calls[1])![1];
      const raw = Buffer.from(b64, "base64").toString();
      expect(raw).toContain("To: sales@acme.test");
      expect(raw).toContain("Subject: Interested in 50 chairs");
    } finally {
      odoo.stop(true);
    }
  }, 20_000);
});
