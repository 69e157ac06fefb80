/**
 * The SDK 2 platform primitives, through a real core and HTTP server with a probe plugin that uses
 * each one the way a plugin author would: instanceRoute, ctx.audit.wrap, productionGuard (pages and
 * the executor), state from register to start/stop, ctx.assets, typed services.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { builtinPlugins } from "../../plugins/index.ts";
import {
  AppError,
  defineOperation,
  definePlugin,
  defineService,
  type Env,
  instanceRoute,
  ok,
  productionGuard,
  z,
} from "../../server/sdk/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";

interface Greeter {
  greet(name: string): string;
}
const lifecycle: Array<{ phase: string; state: unknown }> = [];
const assetDir = mkdtempSync(join(tmpdir(), "odoodeck-probe-assets-"));
mkdirSync(join(assetDir, "css"));
writeFileSync(join(assetDir, "css", "probe.css"), "body { color: teal }\n");
writeFileSync(join(assetDir, "..", "probe-outside-secret.txt"), "TOP-SECRET-CONTENT\n");
symlinkSync("/etc/hostname", join(assetDir, "link-out.txt"));

const wipe = defineOperation({
  id: "probe.wipe",
  title: "Wipe",
  description: "A destructive probe that does nothing",
  input: z.object({}),
  role: "operator",
  scope: "instance",
  danger: "destructive",
  tags: [],
  run: async (ctx) => ({ wiped: ctx.instance!.name }),
});

const provider = definePlugin({
  id: "probe-provider",
  name: "Probe provider",
  version: "1.0.0",
  sdk: "^2",
  register(ctx) {
    ctx.services.provide(defineService<Greeter>("greeter"), { greet: (n) => `hello ${n}` });
    // Embedded shape: a text import's string, or Bun.file() of a `with { type: "file" }` import.
    ctx.assets({ "hi.txt": "hello text", "file.css": Bun.file(join(assetDir, "css", "probe.css")) });
  },
});

const probe = definePlugin({
  id: "probe",
  name: "Probe",
  version: "1.0.0",
  sdk: "^2",
  dependsOn: ["probe-provider"],
  register(ctx) {
    const assets = ctx.assets(assetDir);
    ctx.operations.declare(wipe);
    const app = new Hono<Env>();
    app.get("/i/:instance/view", instanceRoute(ctx, "viewer"), (c) => ok(c, { name: c.var.instance.name }));
    app.post("/i/:instance/act", instanceRoute(ctx, "operator"), (c) => ok(c, { id: c.var.instance.id }));
    app.post("/i/:instance/audited", instanceRoute(ctx, "operator"), async (c) => {
      const fail = c.req.query("fail") === "1";
      const out = await ctx.audit.wrap(
        c,
        { action: "poke", instanceId: c.var.instance.id, target: c.var.instance.name },
        async (d) => {
          d.rows = 3;
          if (fail) throw new AppError("E_CONFLICT", "db_password=hunter2 is in the way");
          return "poked";
        },
      );
      return ok(c, { out });
    });
    app.post("/i/:instance/drop", instanceRoute(ctx, "operator"), async (c) => {
      const body = (await c.req.json()) as { confirm?: string };
      await productionGuard({
        instance: c.var.instance,
        principal: c.get("principal"),
        confirm: body.confirm,
        auth: ctx.auth,
      });
      return ok(c, { dropped: true });
    });
    app.get("/asset-url", (c) => ok(c, { url: assets.url("css/probe.css") }));
    app.get("/greet", (c) => {
      // The consumer's own ref, typed by the provider's interface: no import of the provider's code.
      const greeter = ctx.services.get(defineService<Greeter>("greeter"));
      const untyped = ctx.services.get<Greeter>("greeter"); // SDK ^1 string lookup still works
      return ok(c, { typed: greeter?.greet("ann"), legacy: untyped?.greet("bob") });
    });
    ctx.api(app);
    const state = { id: Math.random(), ticks: 0 };
    lifecycle.push({ phase: "register", state });
    return state;
  },
  start(_ctx, state) {
    state.ticks++;
    lifecycle.push({ phase: "start", state });
  },
  stop(_ctx, state) {
    lifecycle.push({ phase: "stop", state });
  },
});

let t: TestApp;
let prodId: number;
let stagingId: number;
let viewer: TestClient;
let operator: TestClient;
let granted: TestClient;
let grantedAdmin: TestClient;

async function grant(username: string, instanceId: number, role: "admin" | "operator" | "viewer") {
  const u = await t.core.db
    .selectFrom("users")
    .select("id")
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  await t.core.db.insertInto("grants").values({ user_id: u.id, instance_id: instanceId, role }).execute();
}

beforeAll(async () => {
  t = await startTestApp({ plugins: [...builtinPlugins, provider, probe] });
  prodId = await t.addLocalInstance({ name: "acme-prod", confPath: FIXTURES.prodConf, production: true });
  stagingId = await t.addLocalInstance({ name: "acme-staging", confPath: FIXTURES.stagingConf });
  viewer = await t.client("viewer");
  operator = await t.client("operator");
  granted = await t.client("none", "granted-op");
  await grant("granted-op", stagingId, "operator");
  grantedAdmin = await t.client("none", "granted-admin");
  await grant("granted-admin", prodId, "admin");
});

afterAll(async () => {
  await t?.stop();
  rmSync(assetDir, { recursive: true, force: true });
  rmSync(join(assetDir, "..", "probe-outside-secret.txt"), { force: true });
});

describe("instanceRoute", () => {
  test("resolves by id and by name, sets c.var.instance", async () => {
    expect((await viewer.getJson(`/api/v1/probe/i/${stagingId}/view`)).body.data).toEqual({
      name: "acme-staging",
    });
    expect((await viewer.getJson("/api/v1/probe/i/acme-staging/view")).body.data).toEqual({
      name: "acme-staging",
    });
  });

  test("a viewer is refused an operator route with E_FORBIDDEN; an operator passes", async () => {
    const r = await viewer.postJson(`/api/v1/probe/i/${stagingId}/act`, {});
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("E_FORBIDDEN");
    expect((await operator.postJson("/api/v1/probe/i/acme-staging/act", {})).body.data).toEqual({
      id: stagingId,
    });
  });

  test("another instance than the one granted answers exactly as a missing one", async () => {
    expect((await granted.postJson(`/api/v1/probe/i/${stagingId}/act`, {})).status).toBe(200);
    for (const [hidden, missing] of [
      [String(prodId), "9999"],
      ["acme-prod", "no-such-instance"],
    ]) {
      const a = await granted.getJson(`/api/v1/probe/i/${hidden}/view`);
      const b = await granted.getJson(`/api/v1/probe/i/${missing}/view`);
      expect(a.status).toBe(404);
      expect(b.status).toBe(404);
      expect(a.body.error.code).toBe("E_NOT_FOUND");
      expect(a.body.error.message.replace(hidden, "X")).toBe(b.body.error.message.replace(missing, "X"));
      expect(a.body.error.hint).toBe(b.body.error.hint);
    }
  });
});

describe("ctx.audit.wrap", () => {
  const entries = (action: string) =>
    t.core.db.selectFrom("audit_log").selectAll().where("action", "=", action).orderBy("id").execute();

  test("one entry with result ok and the details fn added; one with result error and the code", async () => {
    expect((await operator.postJson(`/api/v1/probe/i/${stagingId}/audited`, {})).body.data).toEqual({
      out: "poked",
    });
    const failed = await operator.postJson(`/api/v1/probe/i/${stagingId}/audited?fail=1`, {});
    expect(failed.body.error.code).toBe("E_CONFLICT");
    const rows = await entries("probe.poke");
    expect(rows.map((r) => [r.result, r.instance_id, r.target])).toEqual([
      ["ok", stagingId, "acme-staging"],
      ["error", stagingId, "acme-staging"],
    ]);
    expect(JSON.parse(rows[0].details!)).toEqual({ rows: 3 });
    const err = JSON.parse(rows[1].details!);
    expect(err).toMatchObject({ rows: 3, code: "E_CONFLICT" });
    expect(err.message).not.toContain("hunter2");
  });
});

describe("productionGuard", () => {
  const drop = (c: TestClient, id: number, confirm?: string) =>
    c.postJson(`/api/v1/probe/i/${id}/drop`, confirm === undefined ? {} : { confirm });

  test("the matrix: non-production passes; production needs an admin, then the name typed back", async () => {
    expect((await drop(operator, stagingId)).status).toBe(200);
    const op = await drop(operator, prodId, "acme-prod");
    expect([op.status, op.body.error.code]).toEqual([403, "E_FORBIDDEN"]);
    const none = await drop(t.admin, prodId);
    expect([none.status, none.body.error.code]).toEqual([400, "E_CONFIRMATION"]);
    const wrong = await drop(t.admin, prodId, "acme-staging");
    expect(wrong.body.error.code).toBe("E_CONFIRMATION");
    expect((await drop(t.admin, prodId, " acme-prod ")).status).toBe(200);
    // An admin grant on this one instance is an admin here.
    expect((await drop(grantedAdmin, prodId, "acme-prod")).status).toBe(200);
  });

  test("the executor's destructive confirmation applies the same rule", async () => {
    const run = (c: TestClient, instance: string, confirm?: string) =>
      c.postJson("/api/v1/ops/probe.wipe", { instance, ...(confirm ? { confirm } : {}) });
    expect((await run(operator, "acme-staging", "acme-staging")).body.data).toEqual({
      wiped: "acme-staging",
    });
    const op = await run(operator, "acme-prod", "acme-prod");
    expect([op.status, op.body.error.code]).toEqual([403, "E_FORBIDDEN"]);
    expect((await run(t.admin, "acme-prod")).body.error.code).toBe("E_CONFIRMATION");
    expect((await run(t.admin, "acme-prod", "acme-prod")).body.data).toEqual({ wiped: "acme-prod" });
  });
});

describe("plugin state", () => {
  test("what register returns reaches start (and stop) as the same object", () => {
    const reg = lifecycle.find((l) => l.phase === "register")!;
    const start = lifecycle.find((l) => l.phase === "start")!;
    expect(start.state).toBe(reg.state);
    expect(start.state).toMatchObject({ ticks: 1 });
  });
});

describe("ctx.assets", () => {
  test("served with its type, an ETag, a year of caching at the hashed URL, 304 when unchanged", async () => {
    const { url } = (await viewer.getJson("/api/v1/probe/asset-url")).body.data;
    expect(url).toMatch(/^\/assets\/p\/probe\/css\/probe\.css\?v=[0-9a-z]+$/);
    const anon = t.anonymous();
    const res = await anon.get(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/css");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await res.text()).toBe("body { color: teal }\n");
    const bare = await anon.get("/assets/p/probe/css/probe.css");
    expect(bare.headers.get("cache-control")).toBe("no-cache");
    const again = await anon.request("GET", "/assets/p/probe/css/probe.css", {
      headers: { "If-None-Match": bare.headers.get("etag")! },
    });
    expect(again.status).toBe(304);
  });

  test("embedded assets (text and Bun.file) are served the same way", async () => {
    const anon = t.anonymous();
    const text = await anon.get("/assets/p/probe-provider/hi.txt");
    expect([text.status, await text.text()]).toEqual([200, "hello text"]);
    expect(text.headers.get("content-type")).toStartWith("text/plain");
    const file = await anon.get("/assets/p/probe-provider/file.css");
    expect([file.status, await file.text()]).toEqual([200, "body { color: teal }\n"]);
    expect((await anon.get("/assets/p/probe-provider/other.css")).status).toBe(404);
  });

  test("nothing outside the folder: .., encoded .., a symlink out, another plugin, a missing file", async () => {
    const anon = t.anonymous();
    for (const path of [
      "/assets/p/probe/%2e%2e/probe-outside-secret.txt",
      "/assets/p/probe/css/%2e%2e%2f%2e%2e%2fprobe-outside-secret.txt",
      "/assets/p/probe/link-out.txt",
      "/assets/p/health/anything.css",
      "/assets/p/probe/css/nope.css",
    ]) {
      const res = await anon.request("GET", path, { headers: { Accept: "application/json" } });
      expect(res.status).toBe(404);
      const body = await res.text();
      expect(body).not.toContain("TOP-SECRET-CONTENT");
      expect(body).not.toContain(readFileSync("/etc/hostname", "utf8").trim());
    }
  });
});

describe("typed services", () => {
  test("a ref built from the id by the consumer reaches the provider's implementation; a string too", async () => {
    expect((await viewer.getJson("/api/v1/probe/greet")).body.data).toEqual({
      typed: "hello ann",
      legacy: "hello bob",
    });
  });
});
