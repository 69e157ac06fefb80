import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Hono } from "hono";
import { definePlugin, type Env } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

const dataDir = mkdtempSync(join(tmpdir(), "odoodeck-plugins-"));
const plug = (dir: string, file: string, text: string) => {
  mkdirSync(join(dataDir, "plugins", dir), { recursive: true });
  writeFileSync(join(dataDir, "plugins", dir, file), text);
};

// Third-party plugins on disk: the real example, garbage, a wrong SDK range, a missing dependency.
cpSync(resolve(import.meta.dir, "../../examples/plugins/hello"), join(dataDir, "plugins", "hello"), {
  recursive: true,
});
plug("garbage", "index.js", "export default {{{ this is not javascript");
plug(
  "future",
  "index.js",
  `export default { id: "future", name: "Future", version: "9.0.0", sdk: "^9", register() {} };`,
);
plug(
  "orphan",
  "index.js",
  `export default { id: "orphan", name: "Orphan", version: "1.0.0", sdk: "^1", dependsOn: ["nope"], register() {} };`,
);
plug(
  "thrower",
  "index.js",
  `export default { id: "thrower", name: "Thrower", version: "1.0.0", sdk: "^1", register() { throw new Error("boom in register"); } };`,
);
// SDK ranges: 2.x only adds to 1.0, so "^1" and "^2" load; versions that never existed do not.
for (const [id, range] of [
  ["sdk-one", "^1"],
  ["sdk-two", "^2.0.0"],
  ["sdk-one-five", "^1.5"],
  ["sdk-three", "^3"],
])
  plug(
    id,
    "index.js",
    `export default { id: "${id}", name: "${id}", version: "1.0.0", sdk: "${range}", register() {} };`,
  );
mkdirSync(join(dataDir, "plugins", "empty"), { recursive: true });

const failsToStart = definePlugin({
  id: "bad-start",
  name: "Bad start",
  version: "1.0.0",
  sdk: "^1",
  register(ctx) {
    const app = new Hono<Env>();
    app.get("/", (c) => c.text("should not be served"));
    ctx.pages(app);
  },
  async start() {
    throw new Error("cannot reach its backend");
  },
});
const nosy = definePlugin({
  id: "nosy",
  name: "Nosy",
  version: "1.0.0",
  sdk: "^1",
  register(ctx) {
    const app = new Hono<Env>();
    app.get("/users", async (c) => c.json(await ctx.db.selectFrom("users").selectAll().execute()));
    ctx.api(app);
  },
});

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ plugins: [failsToStart, nosy], dataDir, loadExternal: true });
});
afterAll(async () => {
  await t.stop();
  rmSync(dataDir, { recursive: true, force: true }); // startTestApp keeps a data dir it was given
});

describe("plugin host", () => {
  test("the example third-party plugin loads: page, JSON route, job and its own table", async () => {
    const { res, html } = await t.admin.page("/p/hello/");
    expect(res.status).toBe(200);
    expect(html).toContain("Hello from a third-party plugin");
    const before = await t.admin.getJson("/api/v1/hello/greetings");
    expect(before.body).toEqual({ ok: true, data: { plugin: "hello", greetings: 0 } });
    const run = await t.core.scheduler.run(null, "manual", { job: "hello.greet", instanceId: null });
    expect(run.status).toBe("ok");
    expect((await t.admin.getJson("/api/v1/hello/greetings")).body.data.greetings).toBe(1);
  });

  test("broken plugins are disabled with their reason on the Plugins page; the rest start", async () => {
    const reasons = Object.fromEntries(t.core.host.records.map((r) => [r.id, [r.status, r.reason]]));
    expect(reasons.hello).toEqual(["started", null]);
    expect(reasons.nosy[0]).toBe("started");
    expect(reasons.garbage[0]).toBe("disabled");
    expect(reasons.garbage[1]).toContain("failed to load");
    expect(reasons.future).toEqual(["disabled", "needs SDK ^9, this odoodeck provides 2.1.0"]);
    expect(reasons.orphan).toEqual(["disabled", 'missing dependency "nope"']);
    expect(reasons.thrower).toEqual(["disabled", "register() threw: boom in register"]);
    expect(reasons.empty).toEqual(["disabled", "no index.js or index.ts in the folder"]);
    expect(reasons["bad-start"]).toEqual(["disabled", "start() failed: cannot reach its backend"]);
    const { html } = await t.admin.page("/plugins");
    expect(html).toContain("needs SDK ^9, this odoodeck provides 2.1.0");
    expect(html).toContain("start() failed: cannot reach its backend");
  });

  test("SDK 2 loads plugins written for SDK ^1 (it only adds) and ^2, not ranges it cannot meet", () => {
    const status = Object.fromEntries(t.core.host.records.map((r) => [r.id, [r.status, r.reason]]));
    expect(status["sdk-one"]).toEqual(["started", null]);
    expect(status["sdk-two"]).toEqual(["started", null]);
    expect(status["sdk-one-five"]).toEqual(["disabled", "needs SDK ^1.5, this odoodeck provides 2.1.0"]);
    expect(status["sdk-three"]).toEqual(["disabled", "needs SDK ^3, this odoodeck provides 2.1.0"]);
  });

  test("a plugin whose start failed does not serve its routes", async () => {
    const res = await t.admin.get("/p/bad-start/");
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("The Bad start plugin is not running");
  });

  test("a plugin's database handle refuses core tables", async () => {
    const { status, body } = await t.admin.getJson("/api/v1/nosy/users");
    expect(status).toBe(403);
    expect(body.error.code).toBe("E_FORBIDDEN");
    expect(body.error.message).toContain('not "users"');
  });

  test("/readyz lists started and disabled plugins", async () => {
    const res = await fetch(`${t.url}/readyz`);
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.data.plugins).toContain("hello");
    expect(body.data.disabledPlugins.map((p: any) => p.id)).toContain("garbage");
  });
});
