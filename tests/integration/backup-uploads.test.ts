/**
 * Uploaded backups belong to whoever uploaded them, for the instance they were uploaded from. The
 * upload folder is shared; without a record any operator could restore anyone's upload into their
 * own instance. Also: the uploader lists and deletes their uploads, and old ones are swept.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import { loadConfig } from "../../server/config.ts";
import { Core } from "../../server/core.ts";
import type { TestApp, TestClient } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { getPg } from "../helpers/pg.ts";
import { addAcmeInstance, setBackupSettings, sha256File, startBackupApp } from "./backup-helpers.ts";
import { wholeStore } from "../helpers/store.ts";

setDefaultTimeout(120_000);

let t: TestApp & { dir: string };
let x: Awaited<ReturnType<typeof addAcmeInstance>>;
let y: Awaited<ReturnType<typeof addAcmeInstance>>;
let opX: TestClient;
let opY: TestClient;

async function operatorOf(name: string, instanceId: number): Promise<TestClient> {
  const client = await t.client("none", name);
  const user = await t.core.db
    .selectFrom("users")
    .select("id")
    .where("username", "=", name)
    .executeTakeFirstOrThrow();
  await t.core.db
    .insertInto("grants")
    .values({ user_id: user.id, instance_id: instanceId, role: "operator" })
    .execute();
  return client;
}

async function upload(client: TestClient, instanceId: number) {
  const res = await client.request("POST", `/api/v1/backup/i/${instanceId}/restore/upload`, {
    body: Bun.file(FIXTURES.prodOdooBackupZip).stream(),
    headers: { Accept: "application/json", "Content-Type": "application/zip" },
  });
  const body = (await res.json()) as any;
  expect(body.ok).toBe(true);
  return body.data as { id: number; path: string; bytes: number; sha256: string };
}

const operationCount = async () => (await t.core.operations.list(500)).length;

beforeAll(async () => {
  t = await startBackupApp();
  x = await addAcmeInstance(t, "x");
  y = await addAcmeInstance(t, "y");
  await setBackupSettings(t, { localDir: join(t.dir, "backups") });
  opX = await operatorOf("op-x", x.id);
  opY = await operatorOf("op-y", y.id);
});
afterAll(() => t?.stop());

describe("an upload is tied to its uploader and instance", () => {
  test("an operator of Y only cannot restore X's upload into Y: the same answer as a missing file", async () => {
    const up = await upload(opX, x.id);
    const before = await operationCount();
    const restore = (source: string) =>
      opY.postJson(`/api/v1/backup/i/${y.id}/restore`, { source, target: "new", dbName: "taken" });
    const theirs = await restore(up.path);
    const missing = await restore(join(t.dataDir, "backup-uploads", "upload-1-deadbeef.zip"));
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe("E_FILE_NOT_FOUND");
    expect(missing.status).toBe(theirs.status);
    expect(missing.body.error.code).toBe(theirs.body.error.code);
    expect(theirs.body.error.message).toBe(`No backup at ${up.path} in the upload or backup folders`);
    expect(await operationCount()).toBe(before);
    expect(up.sha256).toBe(await sha256File(FIXTURES.prodOdooBackupZip));
    // The uploader's own restore passes the guard (it starts an operation).
    const mine = await opX.postJson(`/api/v1/backup/i/${x.id}/restore`, {
      source: up.path,
      target: "new",
      dbName: "from_upload",
    });
    expect(mine.body.ok).toBe(true);
    for (;;) {
      const op = t.core.operations.get(mine.body.data.operationId);
      if (op?.status !== "running") break;
      await Bun.sleep(200);
    }
    await (await getPg()).dropDb("from_upload");
  });

  test("the uploader lists and deletes their uploads; another operator neither sees nor deletes them", async () => {
    const up = await upload(opX, x.id);
    const mine = (await opX.getJson("/api/v1/backup/uploads")).body.data.uploads as any[];
    expect(mine.map((u) => u.id)).toContain(up.id);
    expect(mine.find((u) => u.id === up.id)).toMatchObject({
      instanceId: x.id,
      username: "op-x",
      bytes: up.bytes,
      sha256: up.sha256,
    });
    expect((await opY.getJson("/api/v1/backup/uploads")).body.data.uploads).toEqual([]);
    const refused = await opY.postJson(`/api/v1/backup/uploads/${up.id}/delete`, {});
    expect(refused.body.error.code).toBe("E_NOT_FOUND");
    expect(existsSync(up.path)).toBe(true);
    const done = await opX.postJson(`/api/v1/backup/uploads/${up.id}/delete`, {});
    expect(done.body.ok).toBe(true);
    expect(existsSync(up.path)).toBe(false);
    expect(
      ((await opX.getJson("/api/v1/backup/uploads")).body.data.uploads as any[]).map((u) => u.id),
    ).not.toContain(up.id);
    // The page lists them too, with a delete button.
    const again = await upload(opX, x.id);
    const html = (await opX.page(`/p/backup/i/${x.id}/restore`)).html;
    expect(html).toContain(again.path.split("/").pop()!);
    expect(html).toContain(`/p/backup/uploads/${again.id}/delete`);
  });

  test("uploads older than the TTL are swept with the next upload; unrelated files stay", async () => {
    await setBackupSettings(t, { localDir: join(t.dir, "backups"), uploadTtlDays: 2 });
    const old = await upload(opX, x.id);
    const threeDaysAgo = new Date(Date.now() - 3 * 24 * 3600 * 1000);
    await wholeStore(t.core.db)
      .updateTable("backup_uploads")
      .set({ created_at: threeDaysAgo.toISOString() })
      .where("id", "=", old.id)
      .execute();
    // A file of an upload's name no record owns (an upload cut off mid-way), and a file of the admin's.
    const dir = join(t.dataDir, "backup-uploads");
    const stray = join(dir, "upload-1600000000000-0badf00d.zip");
    const other = join(dir, "notes.txt");
    for (const f of [stray, other]) {
      writeFileSync(f, "x");
      utimesSync(f, threeDaysAgo, threeDaysAgo);
    }
    const fresh = await upload(opX, x.id);
    expect(existsSync(old.path)).toBe(false);
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(other)).toBe(true);
    expect(existsSync(fresh.path)).toBe(true);
    const ids = ((await opX.getJson("/api/v1/backup/uploads")).body.data.uploads as any[]).map((u) => u.id);
    expect(ids).toContain(fresh.id);
    expect(ids).not.toContain(old.id);
  });

  test("an expired upload is swept at start too, without a next upload", async () => {
    const old = await upload(opX, x.id);
    await wholeStore(t.core.db)
      .updateTable("backup_uploads")
      .set({ created_at: new Date(Date.now() - 9 * 24 * 3600 * 1000).toISOString() })
      .where("id", "=", old.id)
      .execute();
    const core = await Core.open(loadConfig({ data: t.dataDir, port: "0", plugins: "false" }, {}));
    try {
      await core.startPlugins([backupPlugin]);
      for (let i = 0; i < 100 && existsSync(old.path); i++) await Bun.sleep(50);
    } finally {
      await core.shutdown();
    }
    expect(existsSync(old.path)).toBe(false);
    const ids = ((await opX.getJson("/api/v1/backup/uploads")).body.data.uploads as any[]).map((u) => u.id);
    expect(ids).not.toContain(old.id);
  });
});
