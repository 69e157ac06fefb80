/**
 * Who may read a backup. A user who is operator on instance X only must not reach instance Y's
 * backup through any door (restore, download, copy, restore test), nor any file of the odoodeck
 * machine through a restore's `source` path; refusals do not tell what exists, and nothing is
 * started or created by a refused request.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type { TestApp, TestClient } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { getPg } from "../helpers/pg.ts";
import { addAcmeInstance, setBackupSettings, startBackupApp } from "./backup-helpers.ts";

setDefaultTimeout(180_000);

let t: TestApp & { dir: string };
let x: Awaited<ReturnType<typeof addAcmeInstance>>;
let y: Awaited<ReturnType<typeof addAcmeInstance>>;
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
    // A name of the user's choosing inside the folder works too (a copy, not a link outward).
    copyFileSync(up.data.path, join(t.dataDir, "backup-uploads", "mine.zip"));
    const r = await restoreFrom(join(t.dataDir, "backup-uploads", "mine.zip"));
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
