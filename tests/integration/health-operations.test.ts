/**
 * The health plugin's declared operations over REST `/api/v1/ops/health.*` (the executor's
 * roles and audit): run the checks now, maintenance windows, per-instance overrides, status.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import health from "../../plugins/health/index.ts";
import { type HealthMonitor, monitorOf } from "../../plugins/health/engine/monitor.ts";
import * as fake from "../../plugins/health/test-support/fake-odoo.ts";
import { setGrant } from "../../server/instances/instances.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";

let t: TestApp;
let mon: HealthMonitor;
let id: number;
let hidden: number;
let viewer: TestClient;
let operator: TestClient;
const web = fake.healthyOdoo();
const dir = mkdtempSync(join(tmpdir(), "health-ops-"));

beforeAll(async () => {
  t = await startTestApp({ plugins: [health] });
  mon = monitorOf(t.core.host.records.find((r) => r.id === "health")!.ctx!);
  await mon.stopLoop();
  // A conf whose database does not exist: DB checks report unknown, HTTP still works.
  writeFileSync(join(dir, "odoo.conf"), `[options]\ndata_dir = ${dir}\ndb_host = 127.0.0.1\ndb_port = 1\n`);
  id = await t.addLocalInstance({ name: "web-ops", confPath: join(dir, "odoo.conf"), dbName: "nope" });
  hidden = await t.addLocalInstance({ name: "other", confPath: join(dir, "odoo.conf"), dbName: "nope" });
  await t.core.db.updateTable("instances").set({ public_url: web.url }).where("id", "=", id).execute();
  viewer = await t.client("viewer", "health-ops-viewer");
  operator = await t.client("operator", "health-ops-operator");
});
afterAll(async () => {
  web.stop();
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

const op = (c: TestClient, opId: string, input: Record<string, unknown>) =>
  c.postJson(`/api/v1/ops/${opId}`, { instance: id, ...input });

const auditOf = (action: string) =>
  t.core.db
    .selectFrom("audit_log")
    .select(["actor", "target", "result"])
    .where("action", "=", action)
    .orderBy("id")
    .execute();

describe("health operations", () => {
  test("health.check-now: an operator runs the checks; the http check is ok and recorded", async () => {
    const refused = await op(viewer, "health.check-now", {});
    expect(refused.status).toBe(403);
    const r = await op(operator, "health.check-now", {});
    expect(r.status).toBe(200);
    const http = r.body.data.results.find((x: any) => x.check === "http");
    expect(http.status).toBe("ok");
    expect((await mon.store.series(id, "http", "2000-01-01")).length).toBeGreaterThan(0);
    expect((await auditOf("health.check-now")).map((a) => [a.actor, a.result])).toEqual([
      ["health-ops-viewer", "error"],
      ["health-ops-operator", "ok"],
    ]);
  });

  test("health.status lists what the caller may view, with the checks just run", async () => {
    const r = await viewer.postJson("/api/v1/ops/health.status", {});
    expect(r.status).toBe(200);
    const mine = r.body.data.instances.find((s: any) => s.id === id);
    expect(mine.name).toBe("web-ops");
    expect(mine.checks.find((c: any) => c.check === "http").status).toBe("ok");
    expect(r.body.data).toEqual((await viewer.getJson("/api/v1/health/status")).body.data);
    expect(r.body.data.instances.some((s: any) => s.id === hidden)).toBe(true);
    // A user granted one instance only sees that one.
    const guest = await t.client("none", "health-ops-guest");
    await setGrant(t.core.db, id, "health-ops-guest", "viewer");
    const theirs = await guest.postJson("/api/v1/ops/health.status", {});
    expect(theirs.body.data.instances.map((s: any) => s.name)).toEqual(["web-ops"]);
  });

  test("health.maintenance.set then clear: the window is in force, then gone; bad dates are refused", async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const bad = await op(operator, "health.maintenance.set", { from: to, to: from, reason: "upgrade" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("The window ends before it starts");
    const set = await op(operator, "health.maintenance.set", { from, to, reason: "Odoo upgrade" });
    expect(set.status).toBe(200);
    expect(set.body.data.reason).toBe("Odoo upgrade");
    const status = await viewer.postJson("/api/v1/ops/health.status", {});
    const mine = status.body.data.instances.find((s: any) => s.id === id);
    expect(mine.maintenance?.id).toBe(set.body.data.id);
    // A window id of another instance answers as missing.
    const other = await operator.postJson("/api/v1/ops/health.maintenance.clear", {
      instance: hidden,
      id: set.body.data.id,
    });
    expect(other.body.error.code).toBe("E_NOT_FOUND");
    const cleared = await op(operator, "health.maintenance.clear", { id: set.body.data.id });
    expect(cleared.body.data).toEqual({ removed: set.body.data.id });
    expect(await mon.store.maintenance(id)).toEqual([]);
    expect((await auditOf("health.maintenance.set")).at(-1)?.target).toBe(`window ${set.body.data.id}`);
  });

  test("health.override.set then clear: disk limits for this instance, then the defaults again", async () => {
    const unknown = await op(operator, "health.override.set", { check: "nope", warning: 1 });
    expect(unknown.body.error.code).toBe("E_NOT_FOUND");
    const set = await op(operator, "health.override.set", { check: "disk", warning: 30, critical: 10 });
    expect(set.body.data).toEqual({ check: "disk", warning: 30, critical: 10, disabled: false });
    expect((await mon.store.overrides(id)).get("disk")).toEqual(set.body.data);
    const cleared = await op(operator, "health.override.clear", { check: "disk" });
    expect(cleared.body.data).toEqual({ check: "disk", cleared: true });
    expect((await mon.store.overrides(id)).has("disk")).toBe(false);
    const again = await op(operator, "health.override.clear", { check: "disk" });
    expect(again.body.data.cleared).toBe(false);
  });
});
