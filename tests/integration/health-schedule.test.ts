import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import health from "../../plugins/health/index.ts";
import { type HealthMonitor, monitorOf } from "../../plugins/health/engine/monitor.ts";
import * as fake from "../../plugins/health/test-support/fake-odoo.ts";
import type { PluginContext } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
let ctx: PluginContext<any>;
let mon: HealthMonitor;
let id: number;
const web = fake.healthyOdoo();
const dir = mkdtempSync(join(tmpdir(), "health-sched-"));

beforeAll(async () => {
  t = await startTestApp({ plugins: [health] });
  ctx = t.core.host.records.find((r) => r.id === "health")!.ctx!;
  mon = monitorOf(ctx);
  await mon.stopLoop();
  // A conf whose database does not exist: DB checks report unknown, HTTP still works.
  writeFileSync(join(dir, "odoo.conf"), `[options]\ndata_dir = ${dir}\ndb_host = 127.0.0.1\ndb_port = 1\n`);
  id = await t.addLocalInstance({ name: "web-only", confPath: join(dir, "odoo.conf"), dbName: "nope" });
  await t.core.db.updateTable("instances").set({ public_url: web.url }).where("id", "=", id).execute();
}, 60_000);
afterAll(async () => {
  web.stop();
  await t?.stop();
});

const httpCount = async () => (await mon.store.series(id, "http", "2000-01-01")).length;

describe("scheduling", () => {
  test("the health.check job runs the checks of one instance and summarises them", async () => {
    const def = t.core.scheduler.definitions().find((d) => d.key === "health.check");
    expect(def).toMatchObject({ scope: "instance", defaultCron: "* * * * *" });
    const run = await t.core.scheduler.run(null, "manual", { job: "health.check", instanceId: id });
    expect(run.status).toBe("ok");
    expect(run.summary).toMatch(/^\d+ checks, \d+ not ok: /);
    expect(run.summary).toContain("crons=unknown");
    expect(run.summary).not.toContain("http=");
    expect(await httpCount()).toBe(1);
  });

  test("the background loop checks every instance at its interval and stops cleanly", async () => {
    const before = await httpCount();
    mon.startLoop(250);
    // Three rounds, however slow the machine (a fixed sleep failed under load): the loop keeps going.
    const deadline = Date.now() + 30_000;
    while ((await httpCount()) - before < 3 && Date.now() < deadline) await Bun.sleep(100);
    await mon.stopLoop();
    const after = await httpCount();
    expect(after - before).toBeGreaterThanOrEqual(3);
    await Bun.sleep(600);
    expect(await httpCount()).toBe(after);
  }, 40_000);

  test("the interval is a setting with a 60 s default", async () => {
    expect((await ctx.settings()).interval_seconds).toBe(60);
  });
});

describe("per-instance overrides through the API", () => {
  test("an operator can disable a check or change its limits; unknown checks are refused", async () => {
    const put = (check: string, json: unknown) =>
      t.admin.request("PUT", `/api/v1/health/i/${id}/overrides/${check}`, { json });
    const res = await put("http", { warning: 0 });
    expect(res.status).toBe(200);
    let results = await mon.checkInstance(await ctx.instances.get(id));
    expect(results.find((r) => r.check === "http")?.status).toBe("warning"); // any response time >= 0 ms
    expect((await put("http", { disabled: true })).status).toBe(200);
    results = await mon.checkInstance(await ctx.instances.get(id));
    expect(results.find((r) => r.check === "http")).toBeUndefined();
    const bad = await put("nope", {});
    expect(bad.status).toBe(404);
    expect((await bad.json()).error.code).toBe("E_NOT_FOUND");
    const viewer = await t.client("viewer");
    const refused = await viewer.request("PUT", `/api/v1/health/i/${id}/overrides/http`, { json: {} });
    expect(refused.status).toBe(403);
    // The route runs health.override.set: REST /ops refuses the viewer alike.
    const viaOps = await viewer.postJson("/api/v1/ops/health.override.set", { instance: id, check: "http" });
    expect(viaOps.status).toBe(403);
    const { error } = await refused.json();
    expect([viaOps.body.error.code, viaOps.body.error.message]).toEqual([error.code, error.message]);
  });
});
