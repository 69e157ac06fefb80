/**
 * The core's pages run their operations (#17): a page action and `POST /api/v1/ops/<id>` give a
 * caller the same refusal, the audit entry is the executor's (action = op id, surface "page"),
 * and the operations declared for them (settings.set, jobs.add/remove, servers.edit/remove,
 * instances.edit, instances.grants.set) do what the pages did.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { definePlugin } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";

const SECRET = "sk_live_doNotLogMe123";
const withSettings = definePlugin({
  id: "knobs",
  name: "Knobs",
  version: "1.0.0",
  sdk: "^2",
  settings: {
    label: { type: "string", label: "Label", default: "" },
    webhook: { type: "secret", label: "Webhook", default: "" },
    loud: { type: "boolean", label: "Loud", default: true },
  },
  register(ctx) {
    ctx.jobs.define("tick", {
      description: "Does nothing",
      scope: "instance",
      handler: async () => "ticked",
    });
  },
});

let t: TestApp;
let x: number;
let y: number;
let opX: TestClient;
let viewer: TestClient;

/** The page action asked for JSON (the error handler's envelope) and the REST surface. */
async function both(
  client: TestClient,
  page: { path: string; form?: Record<string, string> },
  op: { id: string; input: Record<string, unknown> },
) {
  const p = await client.request("POST", page.path, {
    form: page.form ?? {},
    headers: { Accept: "application/json" },
  });
  const r = await client.postJson(`/api/v1/ops/${op.id}`, op.input);
  return { page: { status: p.status, body: (await p.json()) as any }, op: r };
}

const auditOf = (action: string) =>
  t.core.db.selectFrom("audit_log").selectAll().where("action", "=", action).orderBy("id").execute();

beforeAll(async () => {
  t = await startTestApp({ plugins: [withSettings] });
  x = await t.addLocalInstance({ name: "x-inst", confPath: FIXTURES.prodConf });
  y = await t.addLocalInstance({ name: "y-inst", confPath: FIXTURES.stagingConf });
  opX = await t.client("none", "op-x");
  const u = await t.core.db
    .selectFrom("users")
    .select("id")
    .where("username", "=", "op-x")
    .executeTakeFirstOrThrow();
  await t.core.db.insertInto("grants").values({ user_id: u.id, instance_id: x, role: "operator" }).execute();
  await opX.page(`/instances/${x}`);
  viewer = await t.client("viewer", "just-looking");
  await viewer.page("/");
  await t.admin.page("/");
}, 60_000);
afterAll(() => t?.stop());

describe("a page action and its operation refuse alike", () => {
  test("users: a viewer adding a user", async () => {
    const r = await both(
      viewer,
      { path: "/users/new", form: { username: "mallory", password: "x".repeat(14), role: "admin" } },
      { id: "users.add", input: { username: "mallory", password: "x".repeat(14), role: "admin" } },
    );
    expect(r.page.status).toBe(403);
    expect(r.page).toEqual(r.op);
    expect(r.page.body.error.code).toBe("E_FORBIDDEN");
    expect(
      await t.core.db.selectFrom("users").select("id").where("username", "=", "mallory").execute(),
    ).toEqual([]);
    // Both refusals are in the log, as the page's and the API's.
    const refused = (await auditOf("users.add")).filter((a) => a.actor === "just-looking");
    expect(refused.map((a) => [a.result, JSON.parse(a.details!).surface])).toEqual([
      ["error", "page"],
      ["error", "api"],
    ]);
    expect(refused.map((a) => a.details).join()).not.toContain("x".repeat(14));
  });

  test("tokens: revoking someone else's token", async () => {
    const { html } = await t.admin.page("/tokens");
    expect(html).toContain("Create a token");
    const made = await t.admin.post("/tokens/new", { name: "admins-own", role: "viewer" });
    expect(made.status).toBe(200);
    expect(await made.text()).toContain("Copy your new token now");
    const id = (
      await t.core.db
        .selectFrom("api_tokens")
        .select("id")
        .where("name", "=", "admins-own")
        .executeTakeFirstOrThrow()
    ).id;
    const r = await both(viewer, { path: `/tokens/${id}/revoke` }, { id: "tokens.revoke", input: { id } });
    expect(r.page).toEqual(r.op);
    expect(r.page.status).toBeGreaterThanOrEqual(400);
    const audit = await auditOf("tokens.create");
    expect(audit.map((a) => [a.target, a.result, JSON.parse(a.details!).surface])).toEqual([
      ["token:admins-own", "ok", "page"],
    ]);
  });

  test("jobs: an operator of X scheduling on Y gets Y as missing; on X it works, pause and delete too", async () => {
    await opX.page("/jobs");
    const form = { job: "knobs.tick", instance: String(y), cron: "0 2 * * *" };
    const input = { job: "knobs.tick", instanceId: y, cron: "0 2 * * *" };
    const r = await both(opX, { path: "/jobs/schedules", form }, { id: "jobs.add", input });
    expect(r.page).toEqual(r.op);
    expect(r.page.status).toBe(404);
    expect(r.page.body.error.code).toBe("E_NOT_FOUND");
    expect(await t.core.scheduler.listSchedules()).toEqual([]);
    // A job that does not exist is an input mistake: the form says so.
    const typo = await opX.post("/jobs/schedules", { ...form, job: "knobs.tock", instance: String(x) });
    expect(typo.status).toBe(400);
    expect(await typo.text()).toContain("No job named knobs.tock");
    const ok = await opX.post("/jobs/schedules", { ...form, instance: String(x) });
    expect(await ok.text()).toContain("Schedule added.");
    const [s] = await t.core.scheduler.listSchedules();
    expect([s!.job, s!.instance_id]).toEqual(["knobs.tick", x]);
    expect(await (await opX.post(`/jobs/schedules/${s!.id}/pause`)).text()).toContain("Schedule updated.");
    expect((await t.core.scheduler.listSchedules())[0]!.enabled).toBe(0);
    // Another user who cannot see X: the schedule is missing for them, on the page and REST alike.
    const del = await both(
      viewer,
      { path: `/jobs/schedules/${s!.id}/delete` },
      { id: "jobs.remove", input: { schedule: s!.id } },
    );
    expect(del.page).toEqual(del.op);
    expect(del.page.body.error.code).toBe("E_FORBIDDEN");
    expect(await (await opX.post(`/jobs/schedules/${s!.id}/delete`)).text()).toContain("Schedule updated.");
    expect(await t.core.scheduler.listSchedules()).toEqual([]);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["action", "actor", "result"])
      .where("action", "like", "jobs.%")
      .where("actor", "=", "op-x")
      .orderBy("id")
      .execute();
    expect(audit.map((a) => [a.action, a.result])).toEqual([
      ["jobs.add", "error"],
      ["jobs.add", "error"],
      ["jobs.add", "error"],
      ["jobs.add", "ok"],
      ["jobs.set-enabled", "ok"],
      ["jobs.remove", "ok"],
    ]);
  });

  test("operations: cancelling what does not run", async () => {
    const r = await both(
      viewer,
      { path: "/operations/nope/cancel" },
      { id: "operations.cancel", input: { id: "nope" } },
    );
    expect(r.page).toEqual(r.op);
    expect(r.page.body.error.code).toBe("E_NOT_FOUND");
  });

  test("settings: a viewer changing a plugin's settings", async () => {
    const r = await both(
      viewer,
      { path: "/settings/knobs", form: { label: "hacked", webhook: SECRET } },
      { id: "settings.set", input: { plugin: "knobs", values: { label: "hacked", webhook: SECRET } } },
    );
    expect(r.page).toEqual(r.op);
    expect(r.page.body.error.code).toBe("E_FORBIDDEN");
    expect((await t.core.host.get("knobs")!.ctx!.settings()).label).toBe("");
    const all = await t.core.db.selectFrom("audit_log").select("details").execute();
    expect(all.map((a) => a.details).join()).not.toContain(SECRET);
  });

  test("servers: an operator removing a server", async () => {
    const server = (await t.core.registry.servers())[0]!.id;
    const r = await both(
      opX,
      { path: `/servers/${server}/delete` },
      { id: "servers.remove", input: { server } },
    );
    expect(r.page).toEqual(r.op);
    expect(r.page.body.error.code).toBe("E_FORBIDDEN");
  });

  test("instances: an operator of X setting grants on Y gets Y as missing, on X a refusal", async () => {
    const onY = await both(
      opX,
      { path: `/instances/${y}/grants`, form: { username: "op-x", role: "admin" } },
      { id: "instances.grants.set", input: { instance: y, username: "op-x", role: "admin" } },
    );
    expect(onY.page).toEqual(onY.op);
    expect(onY.page.status).toBe(404);
    expect(onY.page.body.error.code).toBe("E_NOT_FOUND");
    const onX = await both(
      opX,
      { path: `/instances/${x}/grants`, form: { username: "op-x", role: "admin" } },
      { id: "instances.grants.set", input: { instance: x, username: "op-x", role: "admin" } },
    );
    expect(onX.page).toEqual(onX.op);
    expect(onX.page.body.error.code).toBe("E_FORBIDDEN");
    const grants = await t.core.db.selectFrom("grants").select(["instance_id", "role"]).execute();
    expect(grants).toEqual([{ instance_id: x, role: "operator" }]);
  });
});

describe("the operations declared for the core pages", () => {
  test("settings.set from the page: saved, a blank secret kept, the secret masked in the audit", async () => {
    await t.admin.page("/settings");
    let res = await t.admin.post("/settings/knobs", { label: "Ops", webhook: SECRET, loud: "on" });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Knobs: saved 3 setting(s).");
    // An unticked box is absent from the form: false. A blank secret keeps the stored one.
    res = await t.admin.post("/settings/knobs", { label: "Ops", webhook: "" });
    expect(await res.text()).toContain("Knobs: saved 2 setting(s).");
    expect(await t.core.host.get("knobs")!.ctx!.settings()).toEqual({
      label: "Ops",
      webhook: SECRET,
      loud: false,
    });
    const audit = await auditOf("settings.set");
    const mine = audit.filter((a) => a.actor === "admin");
    expect(mine.map((a) => [a.target, a.result])).toEqual([
      ["plugin:knobs", "ok"],
      ["plugin:knobs", "ok"],
    ]);
    const first = JSON.parse(mine[0]!.details!);
    expect(first.surface).toBe("page");
    expect(first.input.values).toEqual({ label: "Ops", webhook: "••••••••", loud: "on" });
    expect(audit.map((a) => a.details).join()).not.toContain(SECRET);
    // Over REST: keys left out keep their value; an unknown key is refused, changing nothing.
    const bad = await t.admin.postJson("/api/v1/ops/settings.set", {
      plugin: "knobs",
      values: { label: "New", nope: 1 },
    });
    expect(bad.body.error.code).toBe("E_VALIDATION");
    expect(bad.body.error.message).toContain("no setting nope");
    const good = await t.admin.postJson("/api/v1/ops/settings.set", {
      plugin: "knobs",
      values: { loud: true },
    });
    expect(good.body.data.changed).toEqual(["loud"]);
    expect(await t.core.host.get("knobs")!.ctx!.settings()).toEqual({
      label: "Ops",
      webhook: SECRET,
      loud: true,
    });
  });

  test("servers.remove refuses while an instance uses the server (E_CONFLICT), page and REST", async () => {
    const server = (await t.core.registry.servers())[0]!;
    await t.admin.page(`/servers/${server.id}`);
    const page = await t.admin.post(`/servers/${server.id}/delete`);
    expect(page.status).toBe(409);
    expect(await page.text()).toContain("The server still has 2 instance(s): x-inst, y-inst");
    const api = await t.admin.postJson("/api/v1/ops/servers.remove", { server: server.name });
    expect(api.status).toBe(409);
    expect(api.body.error.code).toBe("E_CONFLICT");
    expect((await t.core.registry.servers()).map((s) => s.id)).toContain(server.id);
  });

  test("servers.edit and servers.remove of a spare server from the page", async () => {
    const add = await t.admin.post("/servers/new", { name: "spare", kind: "local" });
    expect(add.status).toBe(303);
    const id = Number(/\/servers\/(\d+)/.exec(add.headers.get("Location")!)![1]);
    await t.admin.page(`/servers/${id}`);
    const edit = await t.admin.post(`/servers/${id}`, { name: "spare-2", kind: "local" });
    expect(edit.status).toBe(303);
    expect(edit.headers.get("Location")).toBe(`/servers/${id}?saved=1`);
    expect((await t.core.registry.server(id)).name).toBe("spare-2");
    const del = await t.admin.post(`/servers/${id}/delete`);
    expect(del.status).toBe(303);
    expect(del.headers.get("Location")).toBe("/servers?removed=1");
    expect((await t.core.registry.servers()).some((s) => s.id === id)).toBe(false);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["action", "target"])
      .where("action", "in", ["servers.add", "servers.edit", "servers.remove"])
      .where("result", "=", "ok")
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "servers.add", target: "server:spare" },
      { action: "servers.edit", target: "server:spare" },
      { action: "servers.remove", target: "server:spare-2" },
    ]);
  });

  test("servers.add/edit take the same fields on the page and REST; none (direct) clears a jump server", async () => {
    const ssh = { kind: "ssh", host: "10.9.9.9", username: "odoo", password: "pw-not-shown" };
    const hop = await t.admin.postJson("/api/v1/servers", { name: "hop", ...ssh });
    expect(hop.status).toBe(201);
    const behind = await t.admin.post("/servers/new", {
      name: "behind",
      ...ssh,
      jumpServerId: String(hop.body.data.id),
    });
    expect(behind.status).toBe(303);
    const id = Number(/\/servers\/(\d+)/.exec(behind.headers.get("Location")!)![1]);
    expect((await t.core.registry.server(id)).jump_server_id).toBe(hop.body.data.id);
    // The page's "none (direct)" sends an empty value: the server is then reached directly.
    await t.admin.page(`/servers/${id}`);
    const page = await t.admin.post(`/servers/${id}`, {
      name: "behind",
      ...ssh,
      password: "",
      jumpServerId: "",
    });
    expect(page.status).toBe(303);
    expect((await t.core.registry.server(id)).jump_server_id).toBe(null);
    // REST: null clears it the same way; leaving the field out keeps it.
    const set = await t.admin.postJson("/api/v1/ops/servers.edit", {
      server: id,
      jumpServerId: hop.body.data.id,
    });
    expect(set.status).toBe(200);
    expect(set.body.data.jumpServerId).toBe(hop.body.data.id);
    const keep = await t.admin.postJson("/api/v1/ops/servers.edit", { server: id, group: "edge" });
    expect(keep.body.data).toMatchObject({ jumpServerId: hop.body.data.id, group: "edge", hasSecret: true });
    const clear = await t.admin.postJson("/api/v1/ops/servers.edit", { server: id, jumpServerId: null });
    expect(clear.status).toBe(200);
    expect(clear.body.data.jumpServerId).toBe(null);
    // Both surfaces refuse a bad kind alike: 400 and the same message.
    const badPage = await t.admin.post(`/servers/${id}`, { name: "behind", kind: "telnet" });
    const badApi = await t.admin.postJson("/api/v1/ops/servers.edit", { server: id, kind: "telnet" });
    expect([badPage.status, badApi.status]).toEqual([400, 400]);
    expect(badApi.body.error.code).toBe("E_VALIDATION");
    expect(await badPage.text()).toContain(Bun.escapeHTML(badApi.body.error.message));
    for (const s of [id, hop.body.data.id])
      await t.admin.postJson("/api/v1/ops/servers.remove", { server: s });
    expect((await t.core.registry.servers()).map((s) => s.name)).not.toContain("hop");
  });

  test("instances.edit and instances.grants.set from the instance page", async () => {
    const updated: Array<{ instanceId: number; productionChanged: boolean }> = [];
    const off = t.core.bus.on("instance.updated", (e) => void updated.push(e));
    const server = (await t.core.registry.servers())[0]!.id;
    const res = await t.admin.post(`/instances/${y}`, {
      name: "y-inst",
      serverId: String(server),
      confPath: FIXTURES.stagingConf,
      production: "on",
      tags: "eu, staging",
    });
    off();
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/instances/${y}?saved=1`);
    const row = await t.core.registry.instanceRow(y);
    expect([row.production, JSON.parse(row.tags)]).toEqual([1, ["eu", "staging"]]);
    expect(updated).toEqual([{ instanceId: y, productionChanged: true }]);
    const grant = await t.admin.post(`/instances/${y}/grants`, { username: "op-x", role: "viewer" });
    expect(await grant.text()).toContain("Access of op-x updated.");
    expect((await opX.getJson(`/api/v1/instances/${y}`)).status).toBe(200);
    const gone = await t.admin.postJson("/api/v1/ops/instances.grants.set", {
      instance: y,
      username: "op-x",
      role: "none",
    });
    expect(gone.status).toBe(200);
    expect((await opX.getJson(`/api/v1/instances/${y}`)).status).toBe(404);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["action", "target", "instance_id"])
      .where("action", "in", ["instances.edit", "instances.grants.set"])
      .where("result", "=", "ok")
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "instances.edit", target: "instance:y-inst", instance_id: y },
      { action: "instances.grants.set", target: "user:op-x", instance_id: y },
      { action: "instances.grants.set", target: "user:op-x", instance_id: y },
    ]);
  });
});
