/**
 * Start / Stop / Restart from the instance page and the REST API, against a local instance
 * whose systemd unit is driven through the stand-in systemctl (no systemd as PID 1 on this
 * machine; tests/helpers/stand-in-tools) that starts the stand-in Odoo for real.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventMap } from "../../server/sdk/types.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { freeLocalPort, odooProcesses, STAND_IN_TOOLS, waitGone } from "../helpers/runtime.ts";

let t: TestApp;
let dir: string;
let conf: string;
let prodId: number;
let bareId: number;
const states: Array<EventMap["instance.state"]> = [];
const path = process.env.PATH;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-rt-routes-"));
  process.env.PATH = `${STAND_IN_TOOLS}:${path}`;
  process.env.STAND_IN_STATE = dir;
  // One conf for both: the stand-in unit runs Odoo with it, odoodeck reads http_port from it.
  conf = join(dir, "odoo-acme.service.conf");
  writeFileSync(
    conf,
    `[options]\nhttp_port = ${freeLocalPort()}\ndata_dir = ${dir}/data\ndb_name = acme_prod\n`,
  );
  t = await startTestApp({ plugins: [] });
  t.core.bus.on("instance.state", (e) => void states.push(e));
  prodId = await t.addLocalInstance({
    name: "acme",
    confPath: conf,
    production: true,
    service: "odoo-acme",
    dbName: "acme_prod",
  });
  bareId = await t.addLocalInstance({ name: "bare", confPath: conf });
}, 60_000);
afterAll(async () => {
  await t.stop();
  await Bun.spawn([join(STAND_IN_TOOLS, "systemctl"), "stop", "odoo-acme.service"], {
    env: { ...process.env },
  }).exited;
  expect(await waitGone(conf)).toEqual([]);
  process.env.PATH = path;
  delete process.env.STAND_IN_STATE;
  rmSync(dir, { recursive: true, force: true });
});

describe("runtime routes", () => {
  test("an operator starts over REST: answered once ready, audited, state events published", async () => {
    const op = await t.client("operator", "ops");
    await op.page("/");
    const { status, body } = await op.postJson(`/api/v1/instances/${prodId}/start`, {});
    expect(status).toBe(200);
    expect(body.data.state).toBe("running");
    expect(body.data.readyMs).toBeGreaterThanOrEqual(250);
    expect(odooProcesses(conf)).toHaveLength(1);
    // The dashboard seen first shows it stopped; then the start's own transitions.
    expect(states.map((s) => [s.status, s.previous])).toEqual([
      ["stopped", null],
      ["starting", "stopped"],
      ["running", "starting"],
    ]);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "instances.start")
      .execute();
    expect(audit.map((a: any) => [a.actor, a.result])).toEqual([["ops", "ok"]]);

    const { html } = await op.page(`/instances/${prodId}/runtime`);
    expect(html).toContain('data-lifecycle="running"');
    expect(html).toContain(">Restart<");
    const dash = await op.page("/");
    expect(dash.html).toMatch(/acme[\s\S]*data-lifecycle="running"/);
  }, 60_000);

  test("stop of a production instance needs its name; without it Odoo keeps running", async () => {
    const op = await t.client("operator");
    await op.page("/");
    const refused = await op.postJson(`/api/v1/instances/${prodId}/stop`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("E_CONFIRMATION");
    // The route runs the operation instances.stop: REST /ops answers the very same.
    const viaOps = await op.postJson("/api/v1/ops/instances.stop", { instance: prodId });
    expect(viaOps).toEqual(refused);
    expect(odooProcesses(conf)).toHaveLength(1);

    const done = await op.postJson(`/api/v1/instances/${prodId}/stop`, { confirm: "acme" });
    expect(done.status).toBe(200);
    expect(done.body.data.state).toBe("stopped");
    expect(await waitGone(conf)).toEqual([]);
  }, 60_000);

  test("the page's Restart button (htmx, CSRF) restarts and shows the readiness time", async () => {
    await t.admin.page(`/instances/${prodId}`);
    const res = await t.admin.request("POST", `/instances/${prodId}/runtime/restart`, {
      form: {},
      headers: { "HX-Request": "true" },
    });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toMatch(/Restarted: ready in \d+ ms\./);
    expect(html).toContain('data-lifecycle="running"');
    const noCsrf = await t.admin.request("POST", `/instances/${prodId}/runtime/stop`, {
      body: new URLSearchParams({ confirm: "acme" }),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      noCsrf: true,
    });
    expect(noCsrf.status).toBe(403);
    expect(odooProcesses(conf)).toHaveLength(1);
  }, 60_000);

  test("a viewer sees the state but no buttons, and the API refuses them", async () => {
    const viewer = await t.client("viewer");
    const { html } = await viewer.page(`/instances/${prodId}/runtime`);
    expect(html).toContain("data-lifecycle=");
    expect(html).not.toContain(">Stop<");
    await viewer.page("/");
    const res = await viewer.postJson(`/api/v1/instances/${prodId}/restart`, {});
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("E_FORBIDDEN");
  }, 60_000);

  test("an instance without unit or container says why it cannot be started", async () => {
    const res = await t.admin.postJson(`/api/v1/instances/${bareId}/start`, {});
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("E_NO_RUNTIME");
    expect(res.body.error.hint).toContain("service");
  }, 60_000);
});
