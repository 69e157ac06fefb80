/**
 * Core form pages answer a mistake in what was typed with the page again, its flash saying what is
 * wrong (and the hint), status 400 — one SDK formFlash behind users, tokens, schedules and setup.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, TEST_PASSWORD, type TestApp } from "../helpers/app.ts";

describe("form pages flash input mistakes", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ plugins: [] });
  });
  afterAll(() => t.stop());

  test("adding a user whose name is taken", async () => {
    await t.admin.page("/users");
    const res = await t.admin.post("/users/new", {
      username: "admin",
      password: TEST_PASSWORD,
      role: "viewer",
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("flash-error");
    expect(html).toContain("A user named &quot;admin&quot; already exists");
    expect(html).toContain("<h1>Users</h1>");
  });

  test("a token without a name", async () => {
    await t.admin.page("/tokens");
    const res = await t.admin.post("/tokens/new", { name: "", role: "viewer" });
    const html = await res.text();
    expect(html).toContain("flash-error");
    expect(html).toContain("The token needs a name");
  });

  test("a schedule with a bad cron, and one for a job that does not exist", async () => {
    await t.admin.page("/jobs");
    let res = await t.admin.post("/jobs/schedules", { job: "core.nothing", cron: "0 2 * * *" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("No job named core.nothing");
    res = await t.admin.post("/jobs/schedules", { job: "core.nothing", cron: "every day" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("flash-error");
  });
});

test("first-run setup with two different passwords keeps the form and says why", async () => {
  const t = await startTestApp({ plugins: [], firstRun: true });
  try {
    const client = t.anonymous();
    const link = new URL(t.setupLink!);
    await client.page(`${link.pathname}${link.search}`);
    const res = await client.post("/setup", {
      token: link.searchParams.get("token")!,
      username: "root",
      password: TEST_PASSWORD,
      password2: `${TEST_PASSWORD}!`,
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("The two passwords differ");
    expect(html).toContain('value="root"');
  } finally {
    await t.stop();
  }
});
