/**
 * The Code tab (deploy), previews and notifications forms run their operations: a page form and
 * POST /api/v1/ops/<id> give the same refusal to a user without the role (a viewer of X: 403;
 * an operator of Y acting on X: 404, as if X did not exist), and change nothing. A channel's URL
 * (it carries its token) and secrets never reach the audit log.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";

let t: TestApp;
let dir: string;
let x: number;
let y: number;
let viewerX: TestClient;
let operatorY: TestClient;
let operator: TestClient;

async function grant(username: string, instanceId: number, role: "operator" | "viewer") {
  const user = await t.core.db
    .selectFrom("users")
    .select("id")
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  await t.core.db.insertInto("grants").values({ user_id: user.id, instance_id: instanceId, role }).execute();
}

/** The page form's answer (as JSON) and the REST call's, for comparison. */
async function both(c: TestClient, page: string, form: Record<string, string>, op: string, input: object) {
  const res = await c.request("POST", page, { form, headers: { Accept: "application/json" } });
  const rest = await c.postJson(`/api/v1/ops/${op}`, input);
  return {
    page: { status: res.status, error: (await res.json()).error },
    rest: { status: rest.status, error: rest.body.error },
  };
}

beforeAll(async () => {
  t = await startTestApp();
  dir = mkdtempSync(join(tmpdir(), "pb-refusals-"));
  writeFileSync(join(dir, "x.conf"), "[options]\ndb_name = x_db\n");
  writeFileSync(join(dir, "y.conf"), "[options]\ndb_name = y_db\n");
  x = await t.addLocalInstance({ name: "xinst", confPath: join(dir, "x.conf") });
  y = await t.addLocalInstance({ name: "yinst", confPath: join(dir, "y.conf") });
  viewerX = await t.client("none", "viewer-x");
  await grant("viewer-x", x, "viewer");
  operatorY = await t.client("none", "operator-y");
  await grant("operator-y", y, "operator");
  operator = await t.client("operator", "operator-all");
  for (const c of [viewerX, operatorY, operator]) await c.page("/");
}, 60_000);

afterAll(async () => {
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("Code tab: a viewer of X and X's stranger get the page's refusal from deploy.hooks.create", async () => {
  const form = { branch: "main", secret: "0123456789abcdef-secret" };
  const viewer = await both(viewerX, `/p/deploy/i/${x}/code/hooks`, form, "deploy.hooks.create", {
    instance: x,
    ...form,
  });
  expect(viewer.page.status).toBe(403);
  expect(viewer.page).toEqual(viewer.rest);
  expect(viewer.page.error.code).toBe("E_FORBIDDEN");
  const stranger = await both(operatorY, `/p/deploy/i/${x}/code/hooks`, form, "deploy.hooks.create", {
    instance: x,
    ...form,
  });
  expect(stranger.page.status).toBe(404);
  expect(stranger.page).toEqual(stranger.rest);
  expect((await t.admin.postJson("/api/v1/ops/deploy.hooks.list", { instance: x })).body.data).toEqual([]);
});

test("previews: making a template from X is refused alike on the page and through previews.template", async () => {
  const form = { name: "xtpl", instance: String(x) };
  const viewer = await both(viewerX, "/p/previews/templates", form, "previews.template", {
    instance: x,
    template: "xtpl",
  });
  expect(viewer.page.status).toBe(403);
  expect(viewer.page).toEqual(viewer.rest);
  const stranger = await both(operatorY, "/p/previews/templates", form, "previews.template", {
    instance: x,
    template: "xtpl",
  });
  expect(stranger.page.status).toBe(404);
  expect(stranger.page).toEqual(stranger.rest);
  expect((await t.admin.page("/p/previews/templates")).html).not.toContain('data-template="xtpl"');
});

test("notifications: an operator is refused alike; an admin's channel URL and secret stay out of the audit", async () => {
  const token = "T000/B000/xoxb-hook-token-0123456789";
  const form = {
    name: "ops",
    kind: "webhook",
    url: `https://hooks.example.com/${token}`,
    secret: "sign-me-0123456789",
  };
  const refused = await both(operator, "/p/notifications/channels", form, "notifications.channels.add", form);
  expect(refused.page.status).toBe(403);
  expect(refused.page).toEqual(refused.rest);
  await t.admin.page("/p/notifications");
  const res = await t.admin.post("/p/notifications/channels", form);
  expect(await res.text()).toContain("Channel ops added.");
  const audit = await t.core.db
    .selectFrom("audit_log")
    .selectAll()
    .where("action", "=", "notifications.channels.add")
    .orderBy("id")
    .execute();
  expect(audit.map((a) => [a.actor, a.result])).toEqual([
    ["operator-all", "error"],
    ["operator-all", "error"],
    ["admin", "ok"],
  ]);
  const all = JSON.stringify(audit);
  expect(all).not.toContain(token);
  expect(all).not.toContain("sign-me");
  expect(JSON.parse(String(audit[2].details)).input).toMatchObject({
    name: "ops",
    url: "***",
    secret: "***",
  });
});
