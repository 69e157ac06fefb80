import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import health from "../../plugins/health/index.ts";
import { type HealthMonitor, monitorOf } from "../../plugins/health/engine/monitor.ts";
import type { HealthChanged } from "../../plugins/health/engine/runner.ts";
import * as fake from "../../plugins/health/test-support/fake-odoo.ts";
import type { InstanceHandle, PluginContext } from "../../server/sdk/index.ts";
import notifications from "../../plugins/notifications/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { wholeStore } from "../helpers/store.ts";

let t: TestApp;
let ctx: PluginContext<any>;
let mon: HealthMonitor;
const emitted: HealthChanged[] = [];
const dir = mkdtempSync(join(tmpdir(), "health-alerts-"));
const confPath = join(dir, "odoo.conf");
writeFileSync(confPath, `[options]\ndata_dir = ${dir}\n`);

interface Hit {
  path: string;
  body: any;
}
const hits: Hit[] = [];
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    hits.push({ path: new URL(req.url).pathname, body: await req.json() });
    return new Response("ok");
  },
});
const shop = { down: false };
const web = fake.healthyOdoo(shop);
const broken = fake.failingOdoo(502);
const calm = fake.healthyOdoo();

async function until<T>(fn: () => T | undefined | null | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not reached in time");
    await Bun.sleep(25);
  }
}

async function addChannel(form: Record<string, string>): Promise<string> {
  await t.admin.page("/p/notifications");
  const res = await t.admin.post("/p/notifications/channels", form);
  expect(await res.text()).toContain(`Channel ${form.name} added.`);
  const row = await wholeStore(t.core.db)
    .selectFrom("notifications_channels")
    .select("id")
    .where("name", "=", form.name)
    .executeTakeFirstOrThrow();
  return String(row.id);
}

async function addRule(channelId: string, status: string) {
  await t.admin.page("/p/notifications");
  const res = await t.admin.post("/p/notifications/rules", { event: "health.changed", status, channelId });
  expect(await res.text()).toContain("Rule added.");
}

/** An instance watched on its HTTP check only (every other check switched off through the API). */
async function httpOnlyInstance(name: string, url: string): Promise<InstanceHandle> {
  const id = await t.addLocalInstance({ name, confPath });
  await t.core.db.updateTable("instances").set({ public_url: url }).where("id", "=", id).execute();
  await t.admin.page(`/p/health/i/${id}/`);
  for (const c of mon.checks.filter((c) => c.id !== "http")) {
    const res = await t.admin.request("PUT", `/api/v1/health/i/${id}/overrides/${c.id}`, {
      json: { disabled: true },
    });
    expect(res.status).toBe(200);
  }
  return ctx.instances.get(id);
}

const webhookFor = (name: string) =>
  hits.filter((h) => h.path === "/hook" && h.body.payload?.instanceName === name);

beforeAll(async () => {
  t = await startTestApp({ plugins: [health, notifications] });
  ctx = t.core.host.records.find((r) => r.id === "health")!.ctx!;
  mon = monitorOf(ctx);
  await mon.stopLoop(); // the test drives the passes itself
  ctx.events.on("health.changed", (e) => {
    emitted.push(e);
  });
  await addRule(await addChannel({ name: "ops-hook", kind: "webhook", url: `${receiver.url}hook` }), "");
  await addRule(await addChannel({ name: "pager", kind: "slack", url: `${receiver.url}pager` }), "error");
});
afterAll(async () => {
  for (const s of [web, broken, calm]) s.stop();
  await t.stop();
  receiver.stop(true);
});

describe("health alerts through the core's notification channels", () => {
  let inst: InstanceHandle;

  test("three failures in a row reach the webhook once; a status-error rule pages with a readable line", async () => {
    inst = await httpOnlyInstance("alerts-shop", web.url);
    await mon.checkInstance(inst); // first result: ok, adopted without an alert
    shop.down = true;
    for (let i = 0; i < 3; i++) await mon.checkInstance(inst);
    const hit = await until(() => webhookFor("alerts-shop")[0]);
    expect(hit.body.event).toBe("health.changed");
    expect(hit.body.payload).toMatchObject({
      instanceId: inst.id,
      check: "http",
      from: "ok",
      to: "critical",
      recovered: false,
      status: "error",
      title: "alerts-shop: HTTP critical",
      summary: "/web/health answered HTTP 500",
    });
    const page = await until(() => hits.find((h) => h.path === "/pager"));
    expect(page.body.text).toBe(
      "[odoodeck] health.changed error - alerts-shop: HTTP critical: /web/health answered HTTP 500",
    );
  });

  test("recovery is sent too (to the any-status rule, not to the pager)", async () => {
    shop.down = false;
    for (let i = 0; i < 3; i++) await mon.checkInstance(inst);
    const rec = await until(() => webhookFor("alerts-shop")[1]);
    expect(rec.body.payload).toMatchObject({
      from: "critical",
      to: "ok",
      recovered: true,
      status: "ok",
      title: "alerts-shop: HTTP ok (recovered)",
    });
    const pager = await wholeStore(t.core.db)
      .selectFrom("notifications_deliveries as d")
      .innerJoin("notifications_channels as c", "c.id", "d.channel_id")
      .select("d.id")
      .where("c.name", "=", "pager")
      .execute();
    expect(pager).toHaveLength(1);
  });

  test("a maintenance window silences the alert; the state still turns critical", async () => {
    await t.admin.page(`/p/health/i/${inst.id}/`);
    const now = Date.now();
    const { status } = await t.admin.postJson(`/api/v1/health/i/${inst.id}/maintenance`, {
      from: new Date(now - 60_000).toISOString(),
      to: new Date(now + 3_600_000).toISOString(),
      reason: "Odoo upgrade",
    });
    expect(status).toBe(200);
    const before = emitted.length;
    shop.down = true;
    for (let i = 0; i < 3; i++) await mon.checkInstance(inst);
    expect((await mon.store.state(inst.id, "http")).state).toBe("critical");
    expect(emitted.slice(before)).toEqual([]);
    // Another instance fails meanwhile: its alert arrives, and the silenced one never does.
    const other = await httpOnlyInstance("alerts-other", broken.url);
    await mon.checkInstance(other);
    await until(() => webhookFor("alerts-other")[0]);
    expect(webhookFor("alerts-shop")).toHaveLength(2);
    const rows = await wholeStore(t.core.db)
      .selectFrom("notifications_deliveries")
      .select("payload")
      .where("event", "=", "health.changed")
      .execute();
    expect(rows.filter((r) => JSON.parse(r.payload).instanceName === "alerts-shop")).toHaveLength(3);
  });

  test("the overview puts failing instances first, whatever their names", async () => {
    await mon.checkInstance(await httpOnlyInstance("aa-calm", calm.url));
    const { html } = await t.admin.page("/p/health/");
    const table = html.slice(html.indexOf('id="health-overview"'));
    const pos = (name: string) => table.indexOf(`>${name}`);
    expect(pos("alerts-other")).toBeGreaterThan(0);
    expect(pos("alerts-other")).toBeLessThan(pos("aa-calm"));
    expect(pos("alerts-shop")).toBeLessThan(pos("aa-calm"));
    expect(table.slice(pos("aa-calm"))).toContain("all checks ok");
    expect(table.slice(pos("alerts-other"), pos("alerts-shop"))).toContain(
      "HTTP</strong>: /web/health answered HTTP 502",
    );
  });

  test("when the window ends with the check still failing, the alert goes out then; a failure healed inside a window never does", async () => {
    // alerts-shop is critical and silenced since the previous test: end its windows
    for (const w of await mon.store.maintenance(inst.id)) await mon.store.removeMaintenance(w.id);
    const before = emitted.length;
    await mon.checkInstance(inst);
    expect(emitted.slice(before)).toEqual([
      expect.objectContaining({ instanceName: "alerts-shop", check: "http", from: "ok", to: "critical" }),
    ]);
    await until(() => webhookFor("alerts-shop")[2]);
    // the next run does not repeat it
    await mon.checkInstance(inst);
    expect(emitted.length).toBe(before + 1);

    // recovery, then a new window in which it fails and heals again: nothing to announce afterwards
    shop.down = false;
    for (let i = 0; i < 3; i++) await mon.checkInstance(inst);
    expect((await mon.store.state(inst.id, "http")).state).toBe("ok");
    const afterRecovery = emitted.length;
    const now = Date.now();
    const w = await mon.store.addMaintenance({
      instanceId: inst.id,
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      reason: "restart",
      createdBy: "test",
    });
    shop.down = true;
    for (let i = 0; i < 3; i++) await mon.checkInstance(inst);
    shop.down = false;
    for (let i = 0; i < 3; i++) await mon.checkInstance(inst);
    await mon.store.removeMaintenance(w);
    await mon.checkInstance(inst);
    expect(emitted.slice(afterRecovery)).toEqual([]);
  });
});
