import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, TEST_PASSWORD } from "../helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ plugins: [] });
});
afterAll(() => t.stop());

describe("sign-in, sessions and CSRF", () => {
  test("signed-in admin sees the dashboard with the admin navigation", async () => {
    const { res, html } = await t.admin.page("/");
    expect(res.status).toBe(200);
    expect(html).toContain("Dashboard");
    expect(html).toContain('href="/users"');
    expect(html).toContain("No Odoo instance yet.");
  });

  test("a wrong password is refused with a clear message and audited", async () => {
    const c = t.anonymous();
    await c.page("/login");
    const res = await c.post("/login", { username: "admin", password: "nope nope nope" });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("Wrong username or password.");
    const rows = await t.core.db.selectFrom("audit_log").selectAll().where("action", "=", "auth.login").where("result", "=", "error").execute();
    expect(rows.length).toBeGreaterThan(0);
  });

  test("a form posted without the CSRF token is refused with E_CSRF", async () => {
    const res = await t.admin.request("POST", "/tokens/new", { body: new URLSearchParams({ name: "x", role: "viewer" }), headers: { "Content-Type": "application/x-www-form-urlencoded" }, noCsrf: true });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("E_CSRF");
  });

  test("the API answers 401 with the JSON envelope when signed out", async () => {
    const { status, body } = await t.anonymous().getJson("/api/v1/me");
    expect(status).toBe(401);
    expect(body).toEqual({ ok: false, error: { code: "E_UNAUTHENTICATED", message: "You need to sign in", hint: expect.any(String) } });
  });

  test("a browser that is signed out is sent to the login page", async () => {
    const res = await t.anonymous().get("/users");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/login?next=%2Fusers");
  });

  test("login is rate limited after five failures", async () => {
    const c = t.anonymous();
    await c.page("/login");
    for (let i = 0; i < 5; i++) await c.post("/login", { username: "victim", password: "wrong-password-x" });
    const res = await c.post("/login", { username: "victim", password: TEST_PASSWORD });
    expect(res.status).toBe(429);
    expect(await res.text()).toContain("Too many failed sign-ins");
  });
});
