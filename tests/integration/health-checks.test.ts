import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { httpCheck } from "../../plugins/health/checks/http.ts";
import { tlsCheck } from "../../plugins/health/checks/tls.ts";
import { upgradeStatus, websocketCheck } from "../../plugins/health/checks/websocket.ts";
import health from "../../plugins/health/index.ts";
import { type HealthMonitor, monitorOf } from "../../plugins/health/engine/monitor.ts";
import { type HealthChanged, runAll, runCheck, runInstance } from "../../plugins/health/engine/runner.ts";
import { makeTarget } from "../../plugins/health/target.ts";
import * as fake from "../../plugins/health/test-support/fake-odoo.ts";
import type { InstanceHandle, PluginContext } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
let ctx: PluginContext<any>;
let mon: HealthMonitor;
const servers: fake.FakeOdoo[] = [];
const events: HealthChanged[] = [];
const confDir = mkdtempSync(join(tmpdir(), "health-conf-"));
const confPath = join(confDir, "odoo.conf");
writeFileSync(confPath, `[options]\ndata_dir = ${confDir}\nhttp_port = 1\n`);

beforeAll(async () => {
  t = await startTestApp({ plugins: [health] });
  ctx = t.core.host.records.find((r) => r.id === "health")!.ctx!;
  mon = monitorOf(ctx);
  await mon.stopLoop(); // the tests drive the runs themselves
  ctx.events.on("health.changed", (e) => {
    events.push(e);
  });
});
afterAll(async () => {
  for (const s of servers) s.stop();
  await t.stop();
});

const serve = <T extends fake.FakeOdoo>(s: T) => {
  servers.push(s);
  return s;
};

let seq = 0;
async function instanceAt(url: string, dbName?: string): Promise<InstanceHandle> {
  const id = await t.addLocalInstance({ name: `odoo-${++seq}`, confPath, dbName });
  await t.core.db.updateTable("instances").set({ public_url: url }).where("id", "=", id).execute();
  return ctx.instances.get(id);
}

const check = async (def: typeof httpCheck, url: string, timeoutMs = 2000, dbName?: string) =>
  runCheck(def, makeTarget(await instanceAt(url, dbName)), { timeoutMs });

describe("HTTP, TLS and websocket checks against real servers", () => {
  test("a healthy Odoo answers /web/health quickly: ok with its response time", async () => {
    const r = await check(httpCheck, serve(fake.healthyOdoo()).url);
    expect(r.status).toBe("ok");
    expect(r.message).toMatch(/^\/web\/health answered HTTP 200 in \d+ ms$/);
    expect(r.value).toBeGreaterThanOrEqual(0);
    expect(r.value).toBeLessThan(2000);
  });

  test("an Odoo before 16 (no /web/health) is checked on /web/login", async () => {
    const r = await check(httpCheck, serve(fake.oldOdoo()).url);
    expect(r).toMatchObject({ status: "ok", data: { http_status: 200 } });
    expect(r.message).toContain("/web/login answered HTTP 200");
  });

  test("HTTP 500 is critical", async () => {
    const r = await check(httpCheck, serve(fake.failingOdoo(500)).url);
    expect(r.status).toBe("critical");
    expect(r.message).toBe("/web/health answered HTTP 500");
  });

  test("a refused connection is critical and says so", async () => {
    const url = fake.refusingUrl();
    const r = await check(httpCheck, url);
    expect(r.status).toBe("critical");
    expect(r.message).toContain(url);
    expect(r.message.toLowerCase()).toContain("refused");
  });

  test("a server that never answers gives a timeout result on time", async () => {
    const t0 = performance.now();
    const r = await check({ ...httpCheck, timeoutMs: 400 }, serve(fake.slowOdoo()).url);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(r).toMatchObject({ status: "critical", timedOut: true, value: null });
    expect(r.message).toBe("Timeout: no answer within 400 ms");
  });

  test("an expired certificate is critical with its date, while HTTP still measures the response", async () => {
    const s = serve(await fake.expiredTlsOdoo());
    const inst = await instanceAt(s.url);
    expect(tlsCheck.applies!(inst)).toBe(true);
    const r = await runCheck(tlsCheck, makeTarget(inst), { timeoutMs: 3000 });
    expect(r.status).toBe("critical");
    expect(r.message).toBe("certificate EXPIRED on 2020-02-01");
    expect(r.value!).toBeLessThan(-365);
    const h = await runCheck(httpCheck, makeTarget(inst), { timeoutMs: 3000 });
    expect(h.status).toBe("ok");
  });

  test("TLS is not checked on a plain http URL", async () => {
    expect(tlsCheck.applies!(await instanceAt("http://127.0.0.1:1"))).toBe(false);
  });

  test("/websocket upgrades on a good set-up; a proxy answering 500 is flagged", async () => {
    const good = await check(websocketCheck, serve(fake.healthyOdoo()).url);
    expect(good).toMatchObject({ status: "ok", value: 101 });
    const bad = await check(websocketCheck, serve(fake.failingOdoo(502)).url);
    expect(bad.status).toBe("warning");
    expect(bad.message).toContain("answered HTTP 502 instead of 101");
  });
});

describe("which Odoo answers, and its websocket, on a server with several databases", () => {
  const two = { databases: ["acme_prod", "acme_staging"] };

  test("/websocket answers 404 without a session: the check selects the database and gets 101", async () => {
    const url = serve(fake.healthyOdoo({}, two)).url;
    expect(await upgradeStatus(url, AbortSignal.timeout(2000))).toBe(404);
    const r = await check(websocketCheck, url, 2000, "acme_prod");
    expect(r).toMatchObject({ status: "ok", value: 101 });
    expect(r.message).toBe(
      "/websocket upgrades (101) with a session on database acme_prod (HTTP 404 without one)",
    );
  });

  test("a proxy that drops Upgrade is still named when the session does not help", async () => {
    const r = await check(
      websocketCheck,
      serve(fake.healthyOdoo({}, { ...two, proxyDropsUpgrade: true })).url,
      2000,
      "acme_prod",
    );
    expect(r.status).toBe("warning");
    expect(r.message).toContain("answered HTTP 400 instead of 101 with a session on database acme_prod");
    expect(r.message).toContain("the proxy likely does not forward Upgrade/Connection headers");
  });

  test("HTTP: the instance's database served behind dbfilter and list_db = False is ok", async () => {
    const url = serve(fake.healthyOdoo({}, { ...two, dbfilter: /^acme_prod$/, listDb: false })).url;
    const r = await check(httpCheck, url, 2000, "acme_prod");
    expect(r.status).toBe("ok");
    expect(r.message).toMatch(/^\/web\/health answered HTTP 200 in \d+ ms; serves database acme_prod$/);
  });

  test("HTTP: another Odoo on the port fails the check, with list_db on or off", async () => {
    const listed = serve(fake.healthyOdoo({}, { databases: ["other_shop"] })).url;
    const a = await check(httpCheck, listed, 2000, "acme_prod");
    expect(a.status).toBe("critical");
    expect(a.message).toBe(
      `${listed} answers but does not serve database acme_prod: its database list is other_shop, without acme_prod (another Odoo on this port, or a wrong dbfilter?)`,
    );
    const hidden = serve(fake.healthyOdoo({}, { databases: ["shop_a", "shop_b"], listDb: false })).url;
    const b = await check(httpCheck, hidden, 2000, "acme_prod");
    expect(b.status).toBe("critical");
    expect(b.message).toContain("does not serve database acme_prod: it cannot open database acme_prod");
    const filtered = serve(
      fake.healthyOdoo(
        {},
        { databases: ["shop_a", "shop_b", "acme_prod"], dbfilter: /^shop/, listDb: false },
      ),
    ).url;
    const c = await check(httpCheck, filtered, 2000, "acme_prod");
    expect(c.status).toBe("critical");
    expect(c.message).toContain(
      "does not serve database acme_prod: /web/login?db=acme_prod sends to /web/database/selector",
    );
  });
});

describe("engine over real servers", () => {
  const opts = (checks = [httpCheck]) => ({
    store: mon.store,
    checks,
    consecutive: 3,
    defaultTimeoutMs: 2000,
    emit: (e: HealthChanged) => ctx.events.emit("health.changed", e),
  });

  test("flapping results change nothing; three failures in a row alert once; recovery alerts too", async () => {
    const state = { down: false };
    const inst = await instanceAt(serve(fake.healthyOdoo(state)).url);
    const mine = () => events.filter((e) => e.instanceId === inst.id).map((e) => `${e.from}->${e.to}`);
    for (const down of [false, true, false, true, true, false, true]) {
      state.down = down;
      await runInstance(opts(), inst);
    }
    expect(mine()).toEqual([]);
    expect((await mon.store.state(inst.id, "http")).state).toBe("ok");
    for (let i = 0; i < 3; i++) {
      state.down = true;
      await runInstance(opts(), inst);
    }
    expect(mine()).toEqual(["ok->critical"]);
    for (let i = 0; i < 3; i++) {
      state.down = false;
      await runInstance(opts(), inst);
    }
    expect(mine()).toEqual(["ok->critical", "critical->ok"]);
    expect(events.find((e) => e.instanceId === inst.id && e.to === "ok")?.recovered).toBe(true);
    const stored = await mon.store.series(inst.id, "http", "2000-01-01");
    expect(stored).toHaveLength(13);
  });

  test("a maintenance window silences alerts but still records the state", async () => {
    const state = { down: false };
    const inst = await instanceAt(serve(fake.healthyOdoo(state)).url);
    await runInstance(opts(), inst);
    const now = Date.now();
    await mon.store.addMaintenance({
      instanceId: inst.id,
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 3_600_000).toISOString(),
      reason: "upgrade",
      createdBy: "test",
    });
    state.down = true;
    for (let i = 0; i < 3; i++) await runInstance(opts(), inst);
    expect(events.filter((e) => e.instanceId === inst.id)).toEqual([]);
    expect((await mon.store.state(inst.id, "http")).state).toBe("critical");
  });

  test("dead servers do not delay a healthy instance", async () => {
    const healthy = await instanceAt(serve(fake.healthyOdoo()).url);
    const dead = await Promise.all([1, 2, 3].map(async () => instanceAt(serve(fake.slowOdoo()).url)));
    const t0 = performance.now();
    const out = await runAll(opts([{ ...httpCheck, timeoutMs: 1000 }]), [...dead, healthy]);
    const elapsed = performance.now() - t0;
    // Sequential would take 3 s or more; concurrent takes about one timeout.
    expect(elapsed).toBeLessThan(2500);
    const h = out.get(healthy.id)![0];
    expect(h.status).toBe("ok");
    expect(h.durationMs).toBeLessThan(500);
    for (const d of dead) expect(out.get(d.id)![0]).toMatchObject({ status: "critical", timedOut: true });
  });
});
