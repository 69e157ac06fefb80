/**
 * Every declared operation (built-ins, the core's, and the third-party hello example) is on every
 * surface, and the surfaces answer alike: generated from one catalogue, run by one executor.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { builtinPlugins } from "../../plugins/index.ts";
import { createToken } from "../../server/auth/tokens.ts";
import { coreCommands } from "../../server/cli/commands.ts";
import { inputJsonSchema, toolName } from "../../server/operations/catalog.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

const dataDir = mkdtempSync(join(tmpdir(), "odoodeck-ops-contract-"));
mkdirSync(join(dataDir, "plugins"), { recursive: true });
cpSync(resolve(import.meta.dir, "../../examples/plugins/hello"), join(dataDir, "plugins", "hello"), {
  recursive: true,
});

let t: TestApp;
let instanceId: number;
let openapi: any;
const tokens: Record<string, string> = {};
const mcp: Record<string, Client> = {};

async function mcpClient(token: string): Promise<Client> {
  const client = new Client({ name: "contract-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

async function rest(token: string, id: string, input: unknown) {
  const res = await fetch(`${t.url}/api/v1/ops/${id}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function tool(client: Client, id: string, input: Record<string, unknown>) {
  const r = await client.callTool({ name: toolName(id), arguments: input });
  return r.structuredContent as any;
}

/** The CLI exactly as main.ts calls it for `odoodeck --data D op <id> …args`. */
async function cli(id: string, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), readStdin: async () => "" };
  const flags = { data: dataDir, ...(args.includes("--json") ? { json: true } : {}) };
  let code: number;
  try {
    code = await coreCommands("op", [id], flags, io, [id, ...args]);
  } catch (e) {
    err.push(String((e as Error).message));
    code = 1;
  }
  return { code, out: out.join("\n"), err: err.join("\n") };
}

beforeAll(async () => {
  t = await startTestApp({ dataDir, loadExternal: true, plugins: builtinPlugins });
  // Refusals and validation come before anything touches the instance: no database needed.
  instanceId = await t.addLocalInstance({ name: "contract", confPath: "/nonexistent/odoo.conf" });
  for (const role of ["admin", "viewer"] as const)
    tokens[role] = (await createToken(t.core.db, { id: 1, role: "admin" }, { name: role, role })).token;
  for (const role of ["admin", "viewer"] as const) mcp[role] = await mcpClient(tokens[role]);
  openapi = (await t.admin.getJson("/api/v1/openapi.json")).body;
}, 60_000);

afterAll(async () => {
  for (const c of Object.values(mcp)) await c.close();
  await t.stop();
  const { rmSync } = await import("node:fs");
  rmSync(dataDir, { recursive: true, force: true });
});

test("the catalogue holds the built-in, core and third-party operations", () => {
  const ids = t.core.liveOperations().map((d) => d.op.id);
  for (const id of ["instances.list", "instances.get", "servers.list", "backup.create", "backup.list"])
    expect(ids).toContain(id);
  expect(ids).toContain("hello.greet");
  expect(ids).toContain("database.drop-rollback");
});

describe("every declared operation", () => {
  // Tests are collected before beforeAll starts the core, so the ids are listed here; the next
  // test fails when the catalogue and this list differ.
  const ids = [
    "instances.list",
    "instances.get",
    "servers.list",
    "backup.list",
    "backup.create",
    "backup.restore-test",
    "backup.restore",
    "backup.copy",
    "backup.restore-test.schedule",
    "backup.restore-test.unschedule",
    "backup.pitr-enable",
    "backup.pitr-status",
    "backup.pitr-restore",
    "backup.get",
    "backup.verify",
    "backup.prune",
    "backup.schedule.set",
    "backup.restore-tests.list",
    "backup.neutralization",
    "backup.rollbacks.list",
    "backup.uploads.list",
    "backup.uploads.delete",
    "database.drop-rollback",
    "hello.greet",
    "modules.list",
    "modules.compare",
    "modules.record-checksums",
    "modules.install",
    "modules.upgrade",
    "modules.uninstall",
    "modules.rollback",
    "servers.add",
    "servers.test",
    "servers.accept-key",
    "servers.discover",
    "servers.edit",
    "servers.remove",
    "instances.add",
    "instances.remove",
    "instances.start",
    "instances.stop",
    "instances.restart",
    "instances.databases",
    "instances.edit",
    "instances.grants.set",
    "tokens.list",
    "tokens.create",
    "tokens.revoke",
    "audit.list",
    "operations.list",
    "operations.get",
    "operations.cancel",
    "jobs.list",
    "jobs.run",
    "jobs.set-enabled",
    "jobs.add",
    "jobs.remove",
    "settings.set",
    "database.vacuum",
    "database.cancel-query",
    "deploy.repos",
    "deploy.history",
    "deploy.run",
    "deploy.rollback",
    "logs.sources",
    "logs.records",
    "logs.search",
    "logs.errors-summary",
    "logs.scan",
    "logs.add-path",
    "logs.remove-path",
    "health.status",
    "health.check-now",
    "health.maintenance.set",
    "health.maintenance.clear",
    "health.override.set",
    "health.override.clear",
    "config-diff.show",
    "config-diff.diff",
    "config-diff.history",
    "config-diff.reveal",
    "users.list",
    "users.add",
    "users.passwd",
    "users.role",
    "users.unlock",
    "deploy.credentials.key",
    "deploy.credentials.list",
    "deploy.credentials.remove",
    "deploy.credentials.token",
    "deploy.hooks.create",
    "deploy.hooks.delete",
    "deploy.hooks.list",
    "mail-catcher.chaos",
    "mail-catcher.inbound",
    "mail-catcher.release",
    "mail-catcher.retention",
    "mail-catcher.share",
    "mail-catcher.wait-for",
    "previews.create",
    "previews.destroy",
    "previews.get",
    "previews.list",
    "previews.promote",
    "previews.reset",
    "previews.template",
    "previews.update",
    "previews.wake",
    "previews.certificate",
    "previews.wildcard-certificate",
    "notifications.channels.add",
    "notifications.channels.remove",
    "notifications.channels.test",
    "notifications.rules.set",
  ];

  test("the list above is the whole catalogue (a new operation must join this contract)", () => {
    expect(
      t.core
        .liveOperations()
        .map((d) => d.op.id)
        .sort(),
    ).toEqual([...ids].sort());
  });

  for (const id of ids) {
    test(`${id}: in openapi.json, as an MCP tool with its input schema, as a CLI command with --help`, async () => {
      const d = t.core.catalog.get(id)!;
      const schema = inputJsonSchema(d.op);
      const entry = openapi.paths[`/api/v1/ops/${id}`]?.post;
      expect(entry?.summary).toBe(d.op.title);
      expect(entry.requestBody.content["application/json"].schema).toEqual(schema);
      if (d.op.http)
        expect(
          Object.keys(openapi.paths).some(
            (p) => p.replace(/\{[^}]+\}/g, "{}") === `/api/v1${d.op.http!.path}`.replace(/\{[^}]+\}/g, "{}"),
          ),
        ).toBe(true);
      const { tools } = await mcp.admin.listTools();
      const listed = tools.find((x) => x.name === toolName(id));
      expect(listed?.inputSchema).toEqual(schema as any);
      const help = await cli(id, ["--help"]);
      expect(help.code).toBe(0);
      expect(help.out).toContain(`odoodeck op ${id}`);
      for (const field of Object.keys(schema.properties)) expect(help.out).toContain(`--${field}`);
    });

    const input = (extra: Record<string, unknown> = {}) => {
      const d = t.core.catalog.get(id)!;
      return {
        ...(d.op.scope === "instance" ? { instance: instanceId } : {}),
        ...(d.op.danger === "destructive" ? { confirm: "x" } : {}),
        ...extra,
      };
    };

    test(`${id}: a viewer is refused identically on REST and MCP (when it needs more)`, async () => {
      const d = t.core.catalog.get(id)!;
      if (d.op.role === "viewer" || d.op.role === "signed-in" || d.op.instanceOf) {
        // A viewer may call it (or its role is checked on the object's instance, which this
        // input does not name): both surfaces agree on the outcome's code.
        const r = await rest(tokens.viewer, id, input());
        const m = await tool(mcp.viewer, id, input());
        expect(m.ok).toBe(r.body.ok);
        expect(m.error?.code).toBe(r.body.error?.code);
        return;
      }
      const r = await rest(tokens.viewer, id, input());
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("E_FORBIDDEN");
      const m = await tool(mcp.viewer, id, input());
      expect(m).toEqual(r.body);
    });

    test(`${id}: invalid input is the same E_VALIDATION on REST, MCP and the CLI`, async () => {
      const r = await rest(tokens.admin, id, input({ bogusField: 1 }));
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("E_VALIDATION");
      expect(r.body.error.message).toContain("bogusField");
      const m = await tool(mcp.admin, id, input({ bogusField: 1 }));
      expect(m).toEqual(r.body);
      const d = t.core.catalog.get(id)!;
      const args = [
        ...(d.op.scope === "instance" ? [String(instanceId)] : []),
        ...(d.op.danger === "destructive" ? ["--confirm", "x"] : []),
        "--bogusField",
        "1",
        "--json",
      ];
      const c = await cli(id, args);
      expect(c.code).toBe(1);
      expect(JSON.parse(c.out)).toEqual(r.body);
    });
  }
});
