/**
 * One declaration, four surfaces, as a user meets them: the third-party hello plugin's operation
 * over REST (and in OpenAPI), the real CLI binary, MCP over HTTP and MCP over stdio; the MCP
 * endpoint's guards (token only, Host/Origin, presets, destructive switch) and scoped tokens.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { builtinPlugins } from "../../plugins/index.ts";
import { createToken } from "../../server/auth/tokens.ts";
import { definePlugin } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { wholeStore } from "../helpers/store.ts";

const MAIN = resolve(import.meta.dir, "../../server/main.ts");
const dataDir = mkdtempSync(join(tmpdir(), "odoodeck-ops-surfaces-"));
mkdirSync(join(dataDir, "plugins"), { recursive: true });
cpSync(resolve(import.meta.dir, "../../examples/plugins/hello"), join(dataDir, "plugins", "hello"), {
  recursive: true,
});

let t: TestApp;
let alpha: number;
let beta: number;

const token = async (role: "admin" | "operator" | "viewer", extra: Record<string, unknown> = {}) =>
  (await createToken(t.core.db, { id: 1, role: "admin" }, { name: `t-${role}`, role, ...extra })).token;

async function mcpHttp(tok: string, query = ""): Promise<Client> {
  const client = new Client({ name: "surfaces-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.url}/mcp${query}`), {
      requestInit: { headers: { Authorization: `Bearer ${tok}` } },
    }),
  );
  return client;
}

function odoodeck(args: string[]) {
  const p = Bun.spawnSync([process.execPath, MAIN, "--data", dataDir, ...args], {
    env: { ...process.env, ODOODECK_DATA: "" },
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

const greetings = async () =>
  Number(
    (
      await wholeStore(t.core.db)
        .selectFrom("hello_greetings")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirst()
    )?.n ?? 0,
  );

beforeAll(async () => {
  t = await startTestApp({ dataDir, loadExternal: true, plugins: builtinPlugins });
  alpha = await t.addLocalInstance({ name: "alpha", confPath: "/nonexistent/alpha.conf" });
  beta = await t.addLocalInstance({ name: "beta", confPath: "/nonexistent/beta.conf" });
}, 60_000);

afterAll(async () => {
  await t.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("hello.greet over REST answers, is in OpenAPI with its schema and output, and is audited with its surface", async () => {
  const tok = await token("operator");
  const res = await fetch(`${t.url}/api/v1/ops/hello.greet`, {
    method: "POST",
    headers: { Authorization: `Bearer ${tok}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "Ann" }),
  });
  const body = (await res.json()) as any;
  expect(res.status).toBe(200);
  expect(body.data.text).toBe("Hello from a third-party plugin, Ann!");
  const doc = (await t.admin.getJson("/api/v1/openapi.json")).body;
  const entry = doc.paths["/api/v1/ops/hello.greet"].post;
  expect(entry.requestBody.content["application/json"].schema.properties.name.type).toBe("string");
  expect(entry.responses["200"].content["application/json"].schema.properties.data.properties.text).toEqual({
    type: "string",
  });
  expect(doc.components.schemas.Error.properties.code.enum).toContain("E_HELLO_SHY");
  const audit = await t.core.db
    .selectFrom("audit_log")
    .selectAll()
    .where("action", "=", "hello.greet")
    .execute();
  expect(audit).toHaveLength(1);
  expect(JSON.parse(audit[0].details!).surface).toBe("api");
  expect(JSON.parse(audit[0].details!).input).toEqual({ name: "Ann" });
});

test("a plugin's own error code reaches the client with its status", async () => {
  const tok = await token("operator");
  const res = await fetch(`${t.url}/api/v1/ops/hello.greet`, {
    method: "POST",
    headers: { Authorization: `Bearer ${tok}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "  " }),
  });
  expect(res.status).toBe(422);
  expect(((await res.json()) as any).error).toEqual({
    code: "E_HELLO_SHY",
    message: "Give a name to greet",
    hint: "--name Ann",
  });
});

test("a plugin may not define an error code outside its prefix: it is disabled with the reason", async () => {
  const squatter = definePlugin({
    id: "squatter",
    name: "Squatter",
    version: "1.0.0",
    sdk: "^1",
    register(ctx) {
      ctx.errors.define("E_BACKUP_GONE", { status: 410, message: "taken" });
    },
  });
  const s = await startTestApp({ plugins: [squatter] });
  try {
    const rec = s.core.host.get("squatter")!;
    expect(rec.status).toBe("disabled");
    expect(rec.reason).toContain("outside the plugin's prefix E_SQUATTER_");
  } finally {
    await s.stop();
  }
});

test("the real CLI runs hello.greet (op and alias forms, --json envelope, --help) and third-party commands", async () => {
  const before = await greetings();
  const viaOp = odoodeck(["op", "hello.greet", "--name", "Bob", "--json"]);
  expect(viaOp.err).toBe("");
  expect(JSON.parse(viaOp.out)).toEqual({
    ok: true,
    data: { text: "Hello from a third-party plugin, Bob!", greetings: before + 1 },
  });
  const viaAlias = odoodeck(["hello", "greet", "--name", "Cy"]);
  expect(viaAlias.code).toBe(0);
  expect(JSON.parse(viaAlias.out).text).toBe("Hello from a third-party plugin, Cy!");
  const help = odoodeck(["op", "hello.greet", "--help"]);
  expect(help.out).toContain("Greet someone — Records a greeting and answers with it.");
  expect(help.out).toContain("--name");
  // The plugin's own CLI command: the CLI used to start without third-party plugins.
  const count = odoodeck(["hello", "count"]);
  expect(count.err).toBe("");
  expect(count.out.trim()).toBe(`greetings: ${before + 2}`);
  const row = await t.core.db
    .selectFrom("audit_log")
    .selectAll()
    .where("action", "=", "hello.greet")
    .orderBy("id", "desc")
    .executeTakeFirstOrThrow();
  expect(JSON.parse(row.details!).surface).toBe("cli");
  expect(row.actor).toStartWith("cli:");
});

test("`odoodeck <plugin> <name> --help` prints the operation's generated help, not the global one", () => {
  const help = odoodeck(["hello", "greet", "--help"]);
  expect(help.code).toBe(0);
  expect(help.out).toContain("odoodeck op hello.greet");
  expect(help.out).toContain("Greet someone — Records a greeting and answers with it.");
  expect(help.out).toContain("--name");
  expect(help.out).not.toContain("Configuration precedence");
  // A command of the core keeps the global help.
  expect(odoodeck(["user", "--help"]).out).toContain("Configuration precedence");
});

test("MCP over stdio against the real CLI: the preset's tools only, and a call", async () => {
  const client = new Client({ name: "stdio-test", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [MAIN, "--data", dataDir, "mcp", "--tools", "hello"],
      env: { ...process.env, ODOODECK_DATA: "" } as Record<string, string>,
      stderr: "ignore",
    }),
  );
  try {
    expect((await client.listTools()).tools.map((x) => x.name)).toEqual(["hello_greet"]);
    const r = await client.callTool({ name: "hello_greet", arguments: { name: "Dee" } });
    expect((r.structuredContent as any).data.text).toBe("Hello from a third-party plugin, Dee!");
    const outside = await client.callTool({ name: "instances_list", arguments: {} });
    expect(outside.isError).toBe(true);
    expect((outside.structuredContent as any).error.code).toBe("E_NOT_FOUND");
  } finally {
    await client.close();
  }
});

test("/mcp takes API tokens only, and refuses foreign Host and Origin", async () => {
  const init = { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} };
  const post = (headers: Record<string, string>) =>
    fetch(`${t.url}/mcp`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/event-stream",
        ...headers,
      },
      body: JSON.stringify(init),
    });
  expect((await post({})).status).toBe(401);
  // A signed-in browser session is not enough: its cookie is sent by any page the user opens.
  const cookie = [...t.admin.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const withCookie = await post({ Cookie: cookie, "X-CSRF-Token": t.admin.csrf ?? "" });
  expect(withCookie.status).toBe(401);
  const tok = await token("viewer");
  const foreignOrigin = await post({ Authorization: `Bearer ${tok}`, Origin: "https://evil.example" });
  expect(foreignOrigin.status).toBe(403);
  expect(((await foreignOrigin.json()) as any).error.code).toBe("E_FORBIDDEN");
  const foreignHost = await post({ Authorization: `Bearer ${tok}`, Host: "rebound.example" });
  expect(foreignHost.status).toBe(403);
  const client = await mcpHttp(tok);
  expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  await client.close();
});

test("presets by tag narrow the tool list, within the token's own preset", async () => {
  const all = await mcpHttp(await token("admin"));
  const names = (await all.listTools()).tools.map((x) => x.name);
  expect(names).toContain("database_drop_rollback");
  expect(names).toContain("backup_create");
  await all.close();
  const backupOnly = await mcpHttp(await token("admin"), "?tools=backup");
  const backupNames = (await backupOnly.listTools()).tools.map((x) => x.name);
  // Only the backup plugin's tools (the contract test lists them all), and not the others.
  expect(backupNames.every((n) => n.startsWith("backup_"))).toBe(true);
  expect(backupNames).toEqual(
    expect.arrayContaining(["backup_create", "backup_list", "backup_restore_test"]),
  );
  expect(backupNames).not.toContain("database_drop_rollback");
  await backupOnly.close();
  // The token allows only reads: asking for "backup" as well gives the reads among them.
  const readToken = await token("admin", { tools: ["read"] });
  const reads = await mcpHttp(readToken, "?tools=backup,read");
  const readNames = (await reads.listTools()).tools.map((x) => x.name);
  expect(readNames).toContain("instances_list");
  expect(readNames).not.toContain("backup_create");
  await reads.close();
});

test("a token without destructive rights is refused them on MCP and REST alike, confirmation or not", async () => {
  const tok = await token("admin", { allowDestructive: false });
  const client = await mcpHttp(tok);
  expect((await client.listTools()).tools.map((x) => x.name)).not.toContain("database_drop_rollback");
  const input = { instance: alpha, name: "x__rollback_1", confirm: "x__rollback_1" };
  const m = (await client.callTool({ name: "database_drop_rollback", arguments: input }))
    .structuredContent as any;
  await client.close();
  const res = await fetch(`${t.url}/api/v1/ops/database.drop-rollback`, {
    method: "POST",
    headers: { Authorization: `Bearer ${tok}`, "Content-Type": "application/json" },
    body: JSON.stringify(input),
  });
  const r = (await res.json()) as any;
  expect(res.status).toBe(403);
  expect(r.error.message).toBe("This API token may not run destructive operations");
  expect(m).toEqual(r);
});

test("a destructive operation without the typed word is refused with E_CONFIRMATION", async () => {
  const tok = await token("admin");
  const res = await fetch(`${t.url}/api/v1/ops/database.drop-rollback`, {
    method: "POST",
    headers: { Authorization: `Bearer ${tok}`, "Content-Type": "application/json" },
    body: JSON.stringify({ instance: "alpha", name: "x__rollback_1", confirm: "alpha" }),
  });
  expect(res.status).toBe(400);
  const body = (await res.json()) as any;
  expect(body.error.code).toBe("E_CONFIRMATION");
  expect(body.error.hint).toContain("the rollback copy's name");
});

test("a token scoped to one instance sees only it: the other answers as missing, on REST paths and MCP", async () => {
  const tok = await token("viewer", { instances: [alpha] });
  const get = (path: string) => fetch(`${t.url}${path}`, { headers: { Authorization: `Bearer ${tok}` } });
  const list = (await (await get("/api/v1/instances")).json()) as any;
  expect(list.data.map((i: any) => i.name)).toEqual(["alpha"]);
  const other = await get(`/api/v1/instances/${beta}`);
  const missing = await get("/api/v1/instances/99999");
  expect(other.status).toBe(404);
  expect(missing.status).toBe(404);
  expect(((await other.json()) as any).error.message).toBe(`No instance with id ${beta}`);
  const client = await mcpHttp(tok);
  const m = (await client.callTool({ name: "backup_list", arguments: { instance: "beta" } }))
    .structuredContent as any;
  expect(m.error.code).toBe("E_NOT_FOUND");
  await client.close();
});

test("the JSON API's older paths run through the executor: strict input, one audit entry naming the surface", async () => {
  const bad = await t.admin.postJson("/api/v1/instances", {
    name: "gamma",
    serverId: 1,
    confPath: "/nonexistent/gamma.conf",
    colour: "red",
  });
  expect(bad.status).toBe(400);
  expect(bad.body.error.code).toBe("E_VALIDATION");
  expect(bad.body.error.message).toContain("colour");
  const srv = await t.admin.postJson("/api/v1/servers", { name: "second-local", kind: "local" });
  expect(srv.status).toBe(201);
  expect(srv.body.data.name).toBe("second-local");
  const row = await t.core.db
    .selectFrom("audit_log")
    .selectAll()
    .where("action", "=", "servers.add")
    .executeTakeFirstOrThrow();
  expect(row.target).toBe("server:second-local");
  expect(JSON.parse(row.details!).surface).toBe("api");
});

test("DELETE /api/v1/instances/{id} documents the typed name it needs, and the call as documented works", async () => {
  const doc = (await t.admin.getJson("/api/v1/openapi.json")).body;
  // One path to OpenAPI however spelled (instances.get declares /instances/{instance}).
  const key = Object.keys(doc.paths).find((p) => p.replace(/\{[^}]+\}/g, "{}") === "/api/v1/instances/{}")!;
  const entry = doc.paths[key].delete;
  expect(entry.description).toContain("Needs the admin role");
  expect(entry["x-odoodeck"]).toMatchObject({ danger: "destructive" });
  const param = (where: string, name: string) =>
    entry.parameters.find((p: any) => p.in === where && p.name === name);
  expect(param("path", /\{(\w+)\}/.exec(key)![1])).toMatchObject({ required: true });
  expect(param("query", "confirm").description).toBe("Destructive: type the instance's name to confirm");
  expect(param("header", "X-Confirm-Name").description).toContain("the instance's name");
  const gone = await t.addLocalInstance({ name: "gone-soon", confPath: "/nonexistent/gone.conf" });
  const tok = await token("admin");
  const remove = (headers: Record<string, string> = {}) =>
    fetch(`${t.url}/api/v1/instances/${gone}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${tok}`, ...headers },
    });
  const without = await remove();
  expect(without.status).toBe(400);
  expect(((await without.json()) as any).error.code).toBe("E_CONFIRMATION");
  const named = await remove({ "X-Confirm-Name": "gone-soon" });
  expect(named.status).toBe(200);
  expect((await t.core.registry.instanceRows()).some((i) => i.id === gone)).toBe(false);
});
