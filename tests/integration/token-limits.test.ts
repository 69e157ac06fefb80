/**
 * API tokens limited to some instances, to some MCP tool presets and without destructive rights,
 * created as a user does it: on the "API tokens" page and with `odoodeck token add` (real CLI).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { builtinPlugins } from "../../plugins/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

const MAIN = resolve(import.meta.dir, "../../server/main.ts");
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ plugins: builtinPlugins });
  await t.addLocalInstance({ name: "alpha", confPath: "/nonexistent/alpha.conf" });
  await t.addLocalInstance({ name: "beta", confPath: "/nonexistent/beta.conf" });
}, 60_000);
afterAll(() => t.stop());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}`, "Content-Type": "application/json" });
const instanceNames = async (token: string) => {
  const res = await fetch(`${t.url}/api/v1/instances`, { headers: bearer(token) });
  if (res.status !== 200) return res.status;
  return ((await res.json()) as any).data.map((i: any) => i.name);
};
const dropRollback = async (token: string, instance: string) => {
  const res = await fetch(`${t.url}/api/v1/ops/database.drop-rollback`, {
    method: "POST",
    headers: bearer(token),
    body: JSON.stringify({ instance, name: `${instance}__rollback_1`, confirm: `${instance}__rollback_1` }),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const odoodeck = (args: string[]) => {
  const p = Bun.spawnSync([process.execPath, MAIN, "--data", t.dataDir, ...args], {
    env: { ...process.env, ODOODECK_DATA: "" },
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
};

test("the page creates a token limited to one instance, the read preset and no destructive operations", async () => {
  const { html } = await t.admin.page("/tokens");
  expect(html).toContain('name="instances"');
  expect(html).toContain('name="tools"');
  expect(html).toContain('name="allowDestructive"');
  const alphaId = /name="instances" value="(\d+)"\s*\/?>\s*alpha/.exec(html)?.[1];
  expect(alphaId).toBeString();
  // allowDestructive left unticked: the browser sends nothing for it.
  const body = new URLSearchParams({ _csrf: t.admin.csrf!, name: "agent", role: "admin", tools: "read" });
  body.append("instances", alphaId!);
  const res = await t.admin.request("POST", "/tokens/new", {
    body,
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  const page = await res.text();
  const token = /<pre class="log" id="new-token">\s*(odk_[^<\s]+)/.exec(page)?.[1];
  expect(token).toBeString();
  expect(page).toContain("instances: alpha · tools: read · no destructive");

  expect(await instanceNames(token!)).toEqual(["alpha"]);
  const other = await fetch(`${t.url}/api/v1/ops/instances.get`, {
    method: "POST",
    headers: bearer(token!),
    body: JSON.stringify({ instance: "beta" }),
  });
  expect(other.status).toBe(404);
  const refused = await dropRollback(token!, "alpha");
  expect(refused.status).toBe(403);
  expect(refused.body.error.message).toContain("destructive");

  const client = new Client({ name: "token-limits-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), { requestInit: { headers: bearer(token!) } }),
  );
  const { tools } = await client.listTools();
  await client.close();
  expect(tools.length).toBeGreaterThan(0);
  for (const tool of tools) expect(t.core.catalog.byTool(tool.name)!.op.danger).toBe("safe");
});

test("the CLI adds, lists and revokes a limited token", async () => {
  const add = odoodeck([
    "token",
    "add",
    "ci",
    "--user",
    "admin",
    "--role",
    "admin",
    "--instances",
    "beta",
    "--tools",
    "backup",
    "--no-destructive",
  ]);
  expect(add.err).toContain('"ci" for admin (admin)');
  expect(add.code).toBe(0);
  const token = add.out.trim();
  expect(token).toMatch(/^odk_/);
  expect(await instanceNames(token)).toEqual(["beta"]);
  const refused = await dropRollback(token, "beta");
  expect(refused.status).toBe(403);
  expect(refused.body.error.message).toContain("destructive");

  const list = odoodeck(["token", "list"]);
  const line = list.out.split("\n").find((l) => / ci /.test(l))!;
  expect(line).toContain("instances: beta · tools: backup · no destructive");
  const id = line.trim().split(/\s+/)[0];
  const revoke = odoodeck(["token", "revoke", id]);
  expect(revoke.out.trim()).toBe(`token ${id} revoked`);
  expect(await instanceNames(token)).toBe(401);
  // The same audit entries as the page's (tokens.create / tokens.revoke, through the executor),
  // with the person at the keyboard as actor, the owner named, and never the token itself.
  const audit = await t.core.db
    .selectFrom("audit_log")
    .selectAll()
    .where("action", "in", ["token.create", "tokens.create", "token.revoke", "tokens.revoke"])
    .where("actor", "like", "cli:%")
    .orderBy("id")
    .execute();
  const who = `cli:${process.env.USER ?? "unknown"}`;
  expect(audit.map((a) => [a.action, a.actor, a.target, a.result])).toEqual([
    ["tokens.create", who, "token:ci", "ok"],
    ["tokens.revoke", who, `token:${id}`, "ok"],
  ]);
  const created = JSON.parse(audit[0].details!);
  expect(created).toMatchObject({
    surface: "cli",
    owner: "admin",
    input: { name: "ci", role: "admin", tools: ["backup"], allowDestructive: false },
  });
  for (const row of audit) expect(JSON.stringify(row)).not.toContain(token.slice(4));
  const fromPage = await t.core.db
    .selectFrom("audit_log")
    .selectAll()
    .where("target", "=", "token:agent")
    .executeTakeFirstOrThrow();
  expect(fromPage.action).toBe("tokens.create");
  expect(Object.keys(JSON.parse(fromPage.details!)).sort()).toEqual(Object.keys(created).sort());

  const bad = odoodeck(["token", "add", "x", "--user", "nobody"]);
  expect(bad.code).toBe(1);
  expect(bad.err).toContain("--user");
}, 60_000); // five real CLI processes, each opening the data directory

test("tokens.create for another user: an admin signed in may, an API token may not, nor a non-admin", async () => {
  await t.client("viewer", "vera");
  const forVera = await t.admin.postJson("/api/v1/ops/tokens.create", {
    name: "vera-ci",
    role: "viewer",
    owner: "vera",
  });
  expect(forVera.status).toBe(200);
  const row = await t.core.db
    .selectFrom("api_tokens")
    .innerJoin("users", "users.id", "api_tokens.user_id")
    .select("users.username")
    .where("api_tokens.name", "=", "vera-ci")
    .executeTakeFirstOrThrow();
  expect(row.username).toBe("vera");
  const res = await fetch(`${t.url}/api/v1/ops/tokens.create`, {
    method: "POST",
    headers: bearer(forVera.body.data.token),
    body: JSON.stringify({ name: "x", role: "viewer", owner: "admin" }),
  });
  expect(res.status).toBe(403);
  const admins = (await t.admin.postJson("/api/v1/ops/tokens.create", { name: "adm", role: "admin" })).body
    .data;
  const viaToken = await fetch(`${t.url}/api/v1/ops/tokens.create`, {
    method: "POST",
    headers: bearer(admins.token),
    body: JSON.stringify({ name: "y", role: "viewer", owner: "vera" }),
  });
  expect(viaToken.status).toBe(403);
  expect(((await viaToken.json()) as any).error.message).toBe(
    "Only an admin may create a token for another user",
  );
  const nobody = await t.admin.postJson("/api/v1/ops/tokens.create", {
    name: "z",
    role: "viewer",
    owner: "nobody",
  });
  expect(nobody.body.error.code).toBe("E_VALIDATION");
});
