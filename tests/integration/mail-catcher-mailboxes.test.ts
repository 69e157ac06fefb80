/**
 * The mailbox list of an instance's inbox (counts, sizes, limits) and its retention and chaos
 * forms as people use them: an operator of the instance sets them (CSRF, audited), a viewer only
 * reads, another instance's operator gets nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MailboxCredentials, MailCatcherService } from "../../plugins/mail-catcher/contract.ts";
import { catcherTransport } from "../helpers/catcher-transport.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";

let t: TestApp;
let dir: string;
let inst: number;
let other: number;
let box: MailboxCredentials;
let op: TestClient;
let viewer: TestClient;
let opOther: TestClient;

async function grant(username: string, instanceId: number, role: "admin" | "operator" | "viewer") {
  const user = await t.core.db
    .selectFrom("users")
    .select("id")
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  await t.core.db.insertInto("grants").values({ user_id: user.id, instance_id: instanceId, role }).execute();
}
const send = (i: number) =>
  catcherTransport(box).sendMail({
    from: "sales@acme.test",
    to: "c@example.com",
    subject: `Order ${i}`,
    text: "x".repeat(1000),
  });
const row = (html: string) => /<tr data-mailbox="\d+">([\s\S]*?)<\/tr>/.exec(html)?.[1] ?? "";
const cell = (html: string, cls: string) =>
  new RegExp(`<td class="${cls}">([^<]*)`).exec(row(html))?.[1]?.trim() ?? "";

beforeAll(async () => {
  t = await startTestApp();
  dir = mkdtempSync(join(tmpdir(), "mc-mailboxes-"));
  writeFileSync(join(dir, "a.conf"), "[options]\ndb_name = acme_copy\n");
  writeFileSync(join(dir, "b.conf"), "[options]\ndb_name = beta_copy\n");
  inst = await t.addLocalInstance({ name: "acme-copy", confPath: join(dir, "a.conf") });
  other = await t.addLocalInstance({ name: "beta-copy", confPath: join(dir, "b.conf") });
  box = await (t.core.services.get("mailCatcher") as MailCatcherService).mailboxFor(inst, "acme_copy");
  for (let i = 0; i < 5; i++) await send(i);
  op = await t.client("none", "op-acme");
  await grant("op-acme", inst, "operator");
  viewer = await t.client("none", "view-acme");
  await grant("view-acme", inst, "viewer");
  opOther = await t.client("none", "op-beta");
  await grant("op-beta", other, "operator");
}, 60_000);
afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the instance's inbox lists its mailbox with messages, size and limits; a viewer sees no forms", async () => {
  const { html } = await viewer.page(`/p/mail-catcher/i/${inst}`);
  expect(row(html)).toContain("acme_copy");
  expect(row(html)).toContain(box.user);
  expect(cell(html, "mc-count")).toBe("5");
  expect(cell(html, "mc-size")).toMatch(/^[5-9]\.\d KB$|^\d+ KB$/);
  expect(cell(html, "mc-keeps")).toBe("1000 messages, 200 MB, 14 days");
  expect(cell(html, "mc-chaos")).toBe("off");
  expect(html).not.toContain("Save retention");
  const denied = await viewer.post(`/p/mail-catcher/mb/${box.mailbox}/retention`, { count: "1" });
  expect(denied.status).toBe(403);
});

test("an operator sets retention: the extra mail goes now, the page shows the limit, the audit names it", async () => {
  const { html } = await op.page(`/p/mail-catcher/i/${inst}`);
  expect(html).toContain("Save retention");
  const noCsrf = await op.request("POST", `/p/mail-catcher/mb/${box.mailbox}/retention`, {
    body: new URLSearchParams({ count: "2" }),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    noCsrf: true,
  });
  expect(noCsrf.status).toBe(403);
  const bad = await op.request("POST", `/p/mail-catcher/mb/${box.mailbox}/retention`, {
    form: { count: "-3" },
    headers: { Accept: "application/json" },
  });
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.code).toBe("E_VALIDATION");
  const res = await op.post(`/p/mail-catcher/mb/${box.mailbox}/retention`, { count: "2", mb: "", days: "" });
  expect(res.status).toBe(303);
  expect(res.headers.get("Location")).toBe(`/p/mail-catcher/i/${inst}`);
  const after = (await op.page(`/p/mail-catcher/i/${inst}`)).html;
  expect(cell(after, "mc-count")).toBe("2");
  expect(cell(after, "mc-keeps")).toBe("2 messages, 200 MB, 14 days");
  // The form runs mail-catcher.retention: its audit entry is the executor's (surface "page"), as is
  // the viewer's refusal above; the refused bad form never reached the operation.
  const audit = await t.core.db
    .selectFrom("audit_log")
    .selectAll()
    .where("action", "=", "mail-catcher.retention")
    .orderBy("id")
    .execute();
  expect(audit.map((a) => [a.actor, a.result])).toEqual([
    ["view-acme", "error"],
    ["op-acme", "ok"],
  ]);
  expect(JSON.parse(String(audit[1].details)).surface).toBe("page");
});

test("mail past the limit is trimmed shortly after it arrives, newest kept", async () => {
  await op.post(`/p/mail-catcher/mb/${box.mailbox}/retention`, { count: "4", mb: "", days: "" });
  // One retention pass after each mail: the first counts the mailbox, the next ones keep count
  for (let i = 10; i < 13; i++) {
    await send(i);
    await Bun.sleep(400);
  }
  let count = "";
  for (let i = 0; i < 30 && count !== "4"; i++) {
    await Bun.sleep(100);
    count = cell((await op.page(`/p/mail-catcher/i/${inst}`)).html, "mc-count");
  }
  expect(count).toBe("4");
  const { html } = await op.page(`/p/mail-catcher/i/${inst}`);
  for (const kept of ["Order 12", "Order 11", "Order 10"]) expect(html).toContain(kept);
});

test("an operator sets chaos from the page and SMTP refuses with that code; another instance's operator cannot", async () => {
  await op.page(`/p/mail-catcher/i/${inst}`);
  const res = await op.post(`/p/mail-catcher/mb/${box.mailbox}/chaos`, { percent: "100", code: "452" });
  expect(res.status).toBe(303);
  expect(cell((await op.page(`/p/mail-catcher/i/${inst}`)).html, "mc-chaos")).toBe("100 % refused with 452");
  const err = await send(99).catch((e) => e);
  expect(err.responseCode).toBe(452);
  await opOther.page(`/p/mail-catcher/i/${other}`);
  const foreign = await opOther.post(`/p/mail-catcher/mb/${box.mailbox}/chaos`, {
    percent: "0",
    code: "451",
  });
  expect(foreign.status).toBe(404);
  await op.post(`/p/mail-catcher/mb/${box.mailbox}/chaos`, { percent: "0", code: "451" });
  expect((await send(100)).response).toContain("250");
});

test("the chaos and retention operations follow the page's rule: X's operator sets X's mailbox, not Y's", async () => {
  const mc = t.core.services.get("mailCatcher") as MailCatcherService;
  const beta = await mc.mailboxFor(other, "beta_copy");
  const global = await mc.mailboxFor(null, "no_instance");
  try {
    const since =
      (
        await t.core.db
          .selectFrom("audit_log")
          .select((e) => e.fn.max("id").as("id"))
          .executeTakeFirst()
      )?.id ?? 0;
    const chaos = (c: TestClient, mailbox: number, rate = 0) =>
      c.postJson("/api/v1/ops/mail-catcher.chaos", { mailbox, rate, code: 451 });
    const retention = (c: TestClient, mailbox: number) =>
      c.postJson("/api/v1/ops/mail-catcher.retention", { mailbox, count: 50 });
    await op.page(`/p/mail-catcher/i/${inst}`); // the CSRF token for JSON posts
    const mine = await chaos(op, box.mailbox, 0.5);
    expect(mine.status).toBe(200);
    expect(mine.body.data).toEqual({ mailbox: box.mailbox, rate: 0.5, code: 451 });
    expect(cell((await op.page(`/p/mail-catcher/i/${inst}`)).html, "mc-chaos")).toBe("50 % refused with 451");
    expect((await retention(op, box.mailbox)).status).toBe(200);
    expect(cell((await op.page(`/p/mail-catcher/i/${inst}`)).html, "mc-keeps")).toBe(
      "50 messages, 200 MB, 14 days",
    );
    // Y's mailbox and a mailbox of no instance: as if they did not exist
    for (const id of [beta.mailbox, global.mailbox, 999_999]) {
      for (const res of [await chaos(op, id, 1), await retention(op, id)]) {
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe("E_NOT_FOUND");
      }
    }
    expect(cell((await opOther.page(`/p/mail-catcher/i/${other}`)).html, "mc-chaos")).toBe("off");
    // a viewer of X sees X's mailbox but may not change it
    await viewer.page(`/p/mail-catcher/i/${inst}`);
    const seen = await chaos(viewer, box.mailbox, 1);
    expect(seen.status).toBe(403);
    expect(seen.body.error.code).toBe("E_FORBIDDEN");
    // Y's operator changes Y's mailbox, and only that one
    await opOther.page(`/p/mail-catcher/i/${other}`);
    expect((await chaos(opOther, beta.mailbox, 0.25)).status).toBe(200);
    expect((await chaos(opOther, box.mailbox, 1)).body.error.code).toBe("E_NOT_FOUND");
    expect(cell((await op.page(`/p/mail-catcher/i/${inst}`)).html, "mc-chaos")).toBe("50 % refused with 451");
    // the admin keeps every mailbox, those of no instance included
    expect((await chaos(t.admin, global.mailbox, 0)).status).toBe(200);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["actor", "action", "result"])
      .where("action", "in", ["mail-catcher.chaos", "mail-catcher.retention"])
      .where("id", ">", Number(since))
      .execute();
    expect(audit.filter((a) => a.actor === "op-acme" && a.result === "ok").length).toBe(2);
    expect(audit.filter((a) => a.actor === "op-acme" && a.result === "error").length).toBe(6);
  } finally {
    await t.admin.postJson("/api/v1/ops/mail-catcher.chaos", { mailbox: box.mailbox, rate: 0, code: 451 });
    await mc.drop(beta.mailbox);
    await mc.drop(global.mailbox);
  }
});

test("the page's forms and POST /api/v1/ops give the same refusals: a viewer 403, another instance's operator 404", async () => {
  const json = { headers: { Accept: "application/json" } };
  await viewer.page(`/p/mail-catcher/i/${inst}`);
  const page = await viewer.request("POST", `/p/mail-catcher/mb/${box.mailbox}/chaos`, {
    form: { percent: "100", code: "451" },
    ...json,
  });
  const rest = await viewer.postJson("/api/v1/ops/mail-catcher.chaos", {
    mailbox: box.mailbox,
    rate: 1,
    code: 451,
  });
  expect(page.status).toBe(403);
  expect(rest.status).toBe(403);
  expect((await page.json()).error).toEqual(rest.body.error);
  await opOther.page(`/p/mail-catcher/i/${other}`);
  const foreignPage = await opOther.request("POST", `/p/mail-catcher/mb/${box.mailbox}/retention`, {
    form: { count: "1" },
    ...json,
  });
  const foreignRest = await opOther.postJson("/api/v1/ops/mail-catcher.retention", {
    mailbox: box.mailbox,
    count: 1,
  });
  expect(foreignPage.status).toBe(404);
  expect(foreignRest.status).toBe(404);
  expect((await foreignPage.json()).error).toEqual(foreignRest.body.error);
  expect(cell((await op.page(`/p/mail-catcher/i/${inst}`)).html, "mc-chaos")).toBe("off");
});
