/**
 * Who may read a backup. A user who is operator on instance X only must not reach instance Y's
 * backup through any door (restore, download, copy, restore test), nor any file of the odoodeck
 * machine through a restore's `source` path; refusals do not tell what exists, and nothing is
 * started or created by a refused request.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createToken } from "../../server/auth/tokens.ts";
import type { TestApp, TestClient } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { getPg } from "../helpers/pg.ts";
import { addAcmeInstance, setBackupSettings, startBackupApp } from "./backup-helpers.ts";

setDefaultTimeout(180_000);

let t: TestApp & { dir: string };
let x: Awaited<ReturnType<typeof addAcmeInstance>>;
let y: Awaited<ReturnType<typeof addAcmeInstance>>;
let z: Awaited<ReturnType<typeof addAcmeInstance>>;
let yBackup: { id: number; name: string; destinations: { path: string }[] };
let opX: TestClient;

const psql = async (db: string, sql: string) => (await getPg()).psql(db, sql).then((s) => s.trim());
const operationCount = async () => (await t.core.operations.list(500)).length;
const tempDatabases = async () =>
  psql(
    "postgres",
    "SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE '%\\_\\_restore\\_%'",
  );

beforeAll(async () => {
  t = await startBackupApp();
  x = await addAcmeInstance(t, "x");
  y = await addAcmeInstance(t, "y");
  z = await addAcmeInstance(t, "zeta");
  await setBackupSettings(t, { localDir: join(t.dir, "backups") });
  const r = await t.admin.postJson(`/api/v1/backup/instances/${y.id}/backups`, {
    wait: true,
    destinations: "local",
  });
  expect(r.body.data.backup.status).toBe("ok");
  yBackup = r.body.data.backup;
  opX = await t.client("none", "op-x");
  const user = await t.core.db
    .selectFrom("users")
    .select("id")
    .where("username", "=", "op-x")
    .executeTakeFirstOrThrow();
  await t.core.db
    .insertInto("grants")
    .values({ user_id: user.id, instance_id: x.id, role: "operator" })
    .execute();
  // op-x may look at zeta, not act on it.
  await t.core.db
    .insertInto("grants")
    .values({ user_id: user.id, instance_id: z.id, role: "viewer" })
    .execute();
});
afterAll(() => t?.stop());

describe("a backup is read only by an operator of the instance that owns it", () => {
  test("restore of Y's backup into X: the same answer as a missing backup, nothing started", async () => {
    const before = await operationCount();
    const path = `/api/v1/backup/i/${x.id}/restore`;
    const other = await opX.postJson(path, { backupId: yBackup.id, target: "new", dbName: "stolen" });
    const missing = await opX.postJson(path, { backupId: 999_999, target: "new", dbName: "stolen" });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe("E_NOT_FOUND");
    expect(missing.status).toBe(other.status);
    expect(missing.body.error.code).toBe(other.body.error.code);
    expect(other.body.error.message).toBe(`Backup ${yBackup.id} does not exist`);
    expect(await operationCount()).toBe(before);
    expect(await psql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'stolen%'")).toBe("0");
  });

  test("backup.restore over REST and MCP: an operator token of X gets Y's backup as a missing one", async () => {
    // A token has no per-instance grants: "operator of X only" is an operator token limited to X.
    const { token } = await createToken(
      t.core.db,
      { id: 1, role: "admin" },
      { name: "op-x", role: "operator", instances: [x.id] },
    );
    const mcp = new Client({ name: "backup-access", version: "1.0.0" });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const before = await operationCount();
      const rest = async (input: Record<string, unknown>) => {
        const res = await fetch(`${t.url}/api/v1/ops/backup.restore`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify(input),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const tool = async (input: Record<string, unknown>) =>
        (await mcp.callTool({ name: "backup_restore", arguments: input })).structuredContent as any;
      const theirs = { instance: x.id, backup: yBackup.id, newDb: "stolen" };
      const missing = { instance: x.id, backup: 999_999, newDb: "stolen" };
      const r = await rest(theirs);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("E_NOT_FOUND");
      expect(r.body.error.message).toBe(`Backup ${yBackup.id} does not exist`);
      expect((await rest(missing)).body.error.code).toBe("E_NOT_FOUND");
      expect(await tool(theirs)).toEqual(r.body);
      expect((await tool(missing)).error.code).toBe("E_NOT_FOUND");
      // Restoring it into Y itself: Y is not there for this token at all.
      const intoY = await rest({ instance: y.id, backup: yBackup.id, newDb: "stolen" });
      expect(intoY.body.error.code).toBe("E_NOT_FOUND");
      expect(await tool({ instance: y.id, backup: yBackup.id, newDb: "stolen" })).toEqual(intoY.body);
      expect(await operationCount()).toBe(before);
      expect(await psql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'stolen%'")).toBe(
        "0",
      );
      // The refusals are in the audit log, with the surface they came from.
      const refused = await t.core.db
        .selectFrom("audit_log")
        .select(["result", "details"])
        .where("action", "=", "backup.restore")
        .execute();
      const surfaces = refused
        .filter((a) => a.result === "error")
        .map((a) => JSON.parse(a.details ?? "{}").surface);
      expect(surfaces).toContain("api");
      expect(surfaces).toContain("mcp");
    } finally {
      await mcp.close();
    }
  });

  test("download of Y's backup (API and page) answers as a missing one", async () => {
    for (const p of [
      `/api/v1/backup/backups/${yBackup.id}/download`,
      `/p/backup/backups/${yBackup.id}/download`,
    ]) {
      const res = await opX.request("GET", p, { headers: { Accept: "application/json" } });
      const body = (await res.json()) as any;
      expect(res.status).toBe(404);
      expect(body.error.code).toBe("E_NOT_FOUND");
    }
    const meta = await opX.getJson(`/api/v1/backup/backups/${yBackup.id}`);
    expect(meta.body.error.code).toBe("E_NOT_FOUND");
    // The owner's operator still downloads it.
    const res = await t.admin.get(`/api/v1/backup/backups/${yBackup.id}/download`);
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });

  test("copy from Y into X, and from X over Y: refused, nothing started", async () => {
    const before = await operationCount();
    const a = await opX.postJson(`/api/v1/backup/i/${y.id}/copy`, { toInstance: x.id, target: "instance" });
    const b = await opX.postJson(`/api/v1/backup/i/${x.id}/copy`, { toInstance: y.id, target: "instance" });
    for (const r of [a, b]) expect(r.body.error.code).toBe("E_NOT_FOUND");
    expect(await operationCount()).toBe(before);
    expect(await tempDatabases()).toBe("");
  });

  test("a restore test of Y (onto X) is refused and nothing is recorded", async () => {
    const r = await opX.postJson(`/api/v1/backup/i/${y.id}/restore-tests`, { target: x.id });
    expect(r.body.error.code).toBe("E_NOT_FOUND");
    const onX = await opX.postJson(`/api/v1/backup/i/${x.id}/restore-tests`, { target: y.id });
    expect(onX.body.error.code).toBe("E_NOT_FOUND");
    expect((await t.admin.getJson(`/api/v1/backup/i/${y.id}/restore-tests`)).body.data.tests).toEqual([]);
    expect((await t.admin.getJson(`/api/v1/backup/i/${x.id}/restore-tests`)).body.data.tests).toEqual([]);
  });
});

describe("the restore pages name only instances the user may see, and offer only those they operate", () => {
  /** The instance options of a page's selects (value → label). */
  const options = (html: string) =>
    [...html.matchAll(/<option value="(\d+)"[^>]*>([^<]*)<\/option>/g)].map((m) => [Number(m[1]), m[2]]);
  const restorePage = async (client: TestClient) => (await client.page(`/p/backup/i/${x.id}/restore`)).html;
  const testsPage = async (client: TestClient) =>
    (await client.page(`/p/backup/i/${x.id}/restore-tests`)).html;

  test("restore page: copy targets are the instances the user operates", async () => {
    // The admin is offered every other instance: what the page would leak to op-x before.
    expect(options(await restorePage(t.admin))).toEqual(
      expect.arrayContaining([
        [y.id, "y"],
        [z.id, "zeta"],
      ]),
    );
    const html = await restorePage(opX);
    expect(options(html).filter(([id]) => id === y.id || id === z.id)).toEqual([]);
    // The page itself names neither (the layout's sidebar is the core's: not this page's data).
    const main = html.slice(html.indexOf("<main"), html.indexOf("</main>"));
    expect(main).not.toContain("zeta");
    expect(main).not.toMatch(/>y</);
  });

  test("restore-tests page: only the instances op-x operates are targets", async () => {
    expect(options(await testsPage(t.admin))).toEqual(
      expect.arrayContaining([
        [y.id, "y"],
        [z.id, "zeta"],
      ]),
    );
    const html = await testsPage(opX);
    const ids = new Set(options(html).map(([id]) => id));
    expect(ids.has(x.id)).toBe(true);
    expect(ids.has(y.id)).toBe(false);
    expect(ids.has(z.id)).toBe(false);
  });
});

describe("a restore's source path lies inside the upload or backup folders", () => {
  const restoreFrom = (source: string) =>
    opX.postJson(`/api/v1/backup/i/${x.id}/restore`, { source, target: "new", dbName: "from_path" });

  test("/etc/shadow, /nonexistent, Y's backup folder, `..` and an outward symlink all get the same refusal", async () => {
    const before = await operationCount();
    const uploads = join(t.dataDir, "backup-uploads");
    mkdirSync(uploads, { recursive: true });
    symlinkSync(FIXTURES.prodOdooBackupZip, join(uploads, "outside.zip"));
    const refused = [
      "/etc/shadow",
      "/nonexistent",
      "etc/passwd",
      yBackup.destinations[0].path,
      join(uploads, "..", "backups", yBackup.name),
      join(uploads, "outside.zip"),
    ];
    for (const source of refused) {
      const r = await restoreFrom(source);
      expect({ source, status: r.status, code: r.body.error?.code }).toEqual({
        source,
        status: 404,
        code: "E_FILE_NOT_FOUND",
      });
      expect(r.body.error.message).toBe(`No backup at ${source} in the upload or backup folders`);
    }
    expect(await operationCount()).toBe(before);
  });

  test("an upload is restored from its path in the upload folder", async () => {
    const res = await opX.request("POST", `/api/v1/backup/i/${x.id}/restore/upload`, {
      body: Bun.file(FIXTURES.prodOdooBackupZip).stream(),
      headers: { Accept: "application/json", "Content-Type": "application/zip" },
    });
    const up = (await res.json()) as any;
    expect(up.ok).toBe(true);
    // A file of the folder that no upload record owns (put there by hand) is the admin's alone.
    copyFileSync(up.data.path, join(t.dataDir, "backup-uploads", "mine.zip"));
    const unowned = await restoreFrom(join(t.dataDir, "backup-uploads", "mine.zip"));
    expect(unowned.body.error.code).toBe("E_FILE_NOT_FOUND");
    const r = await restoreFrom(up.data.path);
    expect(r.body.ok).toBe(true);
    for (;;) {
      const op = t.core.operations.get(r.body.data.operationId);
      if (op?.status !== "running") {
        expect(op?.status).toBe("ok");
        break;
      }
      await Bun.sleep(200);
    }
    expect(await psql("from_path", "SELECT count(*) FROM res_partner")).toBe("101");
    await (await getPg()).dropDb("from_path");
  });
});

describe("the backup operations guard a backup like its routes", () => {
  const op = (who: TestClient, id: string, input: Record<string, unknown>) =>
    who.postJson(`/api/v1/ops/${id}`, input);

  test("backup.get and backup.verify of Y's backup answer op-x as a missing one; nothing is started", async () => {
    const before = await operationCount();
    for (const id of ["backup.get", "backup.verify"]) {
      const other = await op(opX, id, { backup: yBackup.id });
      const missing = await op(opX, id, { backup: 999_999 });
      expect(other.status).toBe(404);
      expect(other.body.error).toEqual({
        ...missing.body.error,
        message: `Backup ${yBackup.id} does not exist`,
      });
    }
    expect(await operationCount()).toBe(before);
  });

  test("an operator of the owner reads the backup and verifies every copy", async () => {
    const got = await op(t.admin, "backup.get", { backup: yBackup.id });
    expect(got.status).toBe(200);
    expect(got.body.data.backup.name).toBe(yBackup.name);
    const v = await op(t.admin, "backup.verify", { backup: yBackup.id });
    expect(v.status).toBe(202); // long-running: accepted, the operation id answers at once
    const opId = v.body.data.operationId;
    for (let i = 0; i < 300 && t.core.operations.get(opId)?.status === "running"; i++) await Bun.sleep(50);
    expect(t.core.operations.get(opId)?.status).toBe("ok");
    const after = await op(t.admin, "backup.get", { backup: yBackup.id });
    expect(after.body.data.backup.destinations.map((d: { verify: string }) => d.verify)).toEqual([
      "verified",
    ]);
  });

  test("backup.uploads: op-x lists and deletes only its own uploads; another id answers as a missing one", async () => {
    const r = await op(opX, "backup.uploads.delete", { upload: 424_242 });
    expect(r.status).toBe(404);
    expect(r.body.error.message).toBe("Upload 424242 does not exist");
    // op-x uploaded a file in an earlier test: listed, and deleted by its maker.
    const listed = (await op(opX, "backup.uploads.list", {})).body.data.uploads as {
      id: number;
      username: string;
    }[];
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((u) => u.username === "op-x")).toBe(true);
    const del = await op(opX, "backup.uploads.delete", { upload: listed[0].id });
    // With the upload's instance: the restore page goes back there after a delete.
    expect(del.body.data).toEqual({ deleted: listed[0].id, instanceId: x.id });
    const left = (await op(opX, "backup.uploads.list", {})).body.data.uploads as { id: number }[];
    expect(left.map((u) => u.id)).not.toContain(listed[0].id);
  });
});
