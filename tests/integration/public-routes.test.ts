import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { publicRate } from "../../server/http/public-routes.ts";
import { definePlugin, type Env, publicBodyLimit } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";

/** A plugin with public routes that report what they saw, and page routes to compare with. */
const probe = definePlugin({
  id: "probe",
  name: "Probe",
  version: "1.0.0",
  sdk: "^2",
  register(ctx) {
    const pub = new Hono<Env>();
    pub.get("/whoami", (c) => c.json({ principal: c.get("principal") ?? null }));
    pub.post("/echo", async (c) => c.json({ bytes: (await c.req.text()).length }));
    pub.post("/big", publicBodyLimit(1024 * 1024), async (c) =>
      c.json({ bytes: (await c.req.text()).length }),
    );
    ctx.publicRoutes(pub);
    const pages = new Hono<Env>();
    pages.post("/echo", async (c) => c.json({ bytes: (await c.req.text()).length }));
    ctx.pages(pages);
  },
});
/** Registers public routes, then fails to start: it is disabled. */
const broken = definePlugin({
  id: "broken",
  name: "Broken",
  version: "1.0.0",
  sdk: "^2",
  register(ctx) {
    const pub = new Hono<Env>();
    pub.get("/whoami", (c) => c.json({ principal: c.get("principal") ?? null }));
    ctx.publicRoutes(pub);
  },
  async start() {
    throw new Error("cannot start");
  },
});

let t: TestApp;
let admin: TestClient;
beforeAll(async () => {
  t = await startTestApp({ plugins: [probe, broken] });
  admin = t.admin;
});
afterAll(() => t?.stop());

describe("public routes (/pub/<plugin>)", () => {
  test("a signed-in admin's session cookie gives the handler no principal", async () => {
    expect((await admin.getJson("/api/v1/me")).status).toBe(200);
    const r = await admin.getJson("/pub/probe/whoami");
    expect(r.status).toBe(200);
    expect(r.body.principal).toBeNull();
  });

  test("a POST without CSRF token works there and nowhere else", async () => {
    const pub = await admin.request("POST", "/pub/probe/echo", { body: "hello", noCsrf: true });
    expect(pub.status).toBe(200);
    expect(await pub.json()).toEqual({ bytes: 5 });
    const page = await admin.request("POST", "/p/probe/echo", {
      body: "hello",
      noCsrf: true,
      headers: { Accept: "application/json", Authorization: "Basic dXNlcjpwYXNz" },
    });
    expect(page.status).toBe(403);
    expect((await page.json()).error.code).toBe("E_CSRF");
  });

  test("a body over 256 KB is refused with 413; a route may declare more", async () => {
    const big = "x".repeat(300 * 1024);
    const res = await fetch(`${t.url}/pub/probe/echo`, { method: "POST", body: big });
    expect(res.status).toBe(413);
    const ok = await fetch(`${t.url}/pub/probe/big`, { method: "POST", body: big });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ bytes: big.length });
    const over = await fetch(`${t.url}/pub/probe/big`, { method: "POST", body: "x".repeat(1100 * 1024) });
    expect(over.status).toBe(413);
  });

  test("a disabled plugin's public routes, and unknown ones, are 404 even with a session", async () => {
    expect(t.core.host.records.find((r) => r.id === "broken")?.status).toBe("disabled");
    expect((await fetch(`${t.url}/pub/broken/whoami`)).status).toBe(404);
    expect((await admin.get("/pub/broken/whoami")).status).toBe(404);
    expect((await fetch(`${t.url}/pub/nothing/here`)).status).toBe(404);
  });

  test("answers carry the security headers and one address is rate limited", async () => {
    const res = await fetch(`${t.url}/pub/probe/whoami`);
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    const rate = publicRate(t.core);
    const before = rate.limit;
    rate.limit = 3;
    try {
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await fetch(`${t.url}/pub/probe/whoami`)).status);
      // The window already holds the requests above, so the limit is reached at once.
      expect(codes.at(-1)).toBe(429);
      const last = await fetch(`${t.url}/pub/probe/whoami`);
      expect(Number(last.headers.get("Retry-After"))).toBeGreaterThan(0);
    } finally {
      rate.limit = before;
    }
  });
});
