/**
 * A long-running operation (backup.create on the acme_prod fixture) on each surface: REST answers
 * 202 with the operation id at once, MCP waits for the end and streams notifications/progress,
 * and both leave one audit entry naming their surface. A restore test runs through MCP the same way.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { resolve } from "node:path";
import { createToken } from "../../server/auth/tokens.ts";
import { waitForOperation } from "../../server/operations/wait.ts";
import { addAcmeInstance, startBackupApp } from "./backup-helpers.ts";

let t: Awaited<ReturnType<typeof startBackupApp>>;
let inst: Awaited<ReturnType<typeof addAcmeInstance>>;
let tok: string;

beforeAll(async () => {
  t = await startBackupApp();
  inst = await addAcmeInstance(t, "acme");
  tok = (await createToken(t.core.db, { id: 1, role: "admin" }, { name: "ops", role: "operator" })).token;
}, 60_000);
afterAll(() => t?.stop());

test("REST: 202 with the operation id at once; the operation ends ok and backup.list shows the backup ok", async () => {
  const res = await fetch(`${t.url}/api/v1/ops/backup.create`, {
    method: "POST",
    headers: { Authorization: `Bearer ${tok}`, "Content-Type": "application/json" },
    body: JSON.stringify({ instance: "acme", scope: "db", destinations: ["local"] }),
  });
  const body = (await res.json()) as any;
  expect(res.status).toBe(202);
  expect(body.data.operationId).toBeString();
  expect(body.data.name).toMatch(/^acme_.+_db\.odoodeck$/);
  const snap = await waitForOperation(t.core, body.data.operationId);
  expect(snap.status).toBe("ok");
  const list = await fetch(`${t.url}/api/v1/ops/backup.list`, {
    method: "POST",
    headers: { Authorization: `Bearer ${tok}`, "Content-Type": "application/json" },
    body: JSON.stringify({ instance: inst.id }),
  });
  const backups = ((await list.json()) as any).data.backups;
  expect(backups.map((b: any) => b.name)).toContain(body.data.name);
  expect(backups.find((b: any) => b.name === body.data.name).status).toBe("ok");
}, 120_000);

test("MCP: the tool waits for the end and sends progress notifications for the client's token", async () => {
  const client = new Client({ name: "progress-test", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${tok}` } },
    }),
  );
  const progress: Array<{ progress: number; total?: number; message?: string }> = [];
  const r = await client.callTool(
    { name: "backup_create", arguments: { instance: inst.id, scope: "db", destinations: ["local"] } },
    undefined,
    { onprogress: (p) => progress.push(p), timeout: 120_000 },
  );
  await client.close();
  const out = r.structuredContent as any;
  expect(out.ok).toBe(true);
  expect(out.data.operation.status).toBe("ok");
  expect(out.data.operation.steps.every((s: any) => s.status === "ok" || s.status === "skipped")).toBe(true);
  expect(progress.length).toBeGreaterThan(0);
  expect(progress.at(-1)!.total).toBe(out.data.operation.steps.length);
  const audit = await t.core.db
    .selectFrom("audit_log")
    .select(["details", "result", "target"])
    .where("action", "=", "backup.create")
    .orderBy("id")
    .execute();
  expect(audit.map((a) => JSON.parse(a.details!).surface)).toEqual(["api", "mcp"]);
  expect(audit[1].target).toBe(out.data.name);
}, 120_000);

test("the real CLI: `odoodeck op backup.create` prints progress lines on stderr, then the result", async () => {
  const main = resolve(import.meta.dir, "../../server/main.ts");
  const p = Bun.spawn(
    [
      process.execPath,
      main,
      "--data",
      t.dataDir,
      "op",
      "backup.create",
      "acme",
      "--scope",
      "db",
      "--destinations",
      "local",
    ],
    { env: { ...process.env, ODOODECK_DATA: "" }, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  expect(code).toBe(0);
  const lines = err.trim().split("\n");
  expect(lines[0]).toMatch(/^operation \S+ started$/);
  // One line per change of the running step(s): the dump shows up before the result is printed.
  expect(lines.slice(1).some((l) => /\bdump\b/.test(l))).toBe(true);
  const result = JSON.parse(out);
  expect(result.name).toMatch(/^acme_.+_db\.odoodeck$/);
  expect(result.operation.status).toBe("ok");
  expect(result.operationId).toBe(lines[0].split(" ")[1]);
}, 120_000);

test("MCP: a restore test runs through the tool with progress, and the restore-tests list shows it ok", async () => {
  const client = new Client({ name: "restore-test-client", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${tok}` } },
    }),
  );
  const tools = (await client.listTools()).tools.map((x) => x.name);
  expect(tools).toContain("backup_restore_test");
  // A backup to test (the earlier tests made some; make sure one exists whatever ran before).
  const b = await client.callTool(
    { name: "backup_create", arguments: { instance: inst.id, scope: "full", destinations: ["local"] } },
    undefined,
    { timeout: 120_000 },
  );
  expect((b.structuredContent as any).ok).toBe(true);
  const progress: Array<{ progress: number; total?: number }> = [];
  const r = await client.callTool(
    { name: "backup_restore_test", arguments: { instance: inst.id } },
    undefined,
    { onprogress: (p) => progress.push(p), timeout: 240_000 },
  );
  const out = r.structuredContent as any;
  expect(out.ok).toBe(true);
  expect(out.data.operation.status).toBe("ok");
  expect(progress.length).toBeGreaterThan(0);
  const listed = await client.callTool({
    name: "backup_restore_tests_list",
    arguments: { instance: inst.id },
  });
  await client.close();
  const mine = (listed.structuredContent as any).data.tests.find((x: any) => x.id === out.data.testId);
  expect(mine).toBeDefined();
  expect(mine.status).toBe("ok");
}, 300_000);
