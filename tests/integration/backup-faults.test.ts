import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestApp } from "../helpers/app.ts";
import { addAcmeInstance, setBackupSettings, sh, startBackupApp } from "./backup-helpers.ts";

let t: TestApp & { dir: string };
let big: Awaited<ReturnType<typeof addAcmeInstance>>;
const mounts: string[] = [];

/** Folder entries, partials (".name.partial") included. */
const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

beforeAll(async () => {
  t = await startBackupApp();
  big = await addAcmeInstance(t, "big");
  // 256 MiB of random bytes: long enough to be caught mid-stream by a cancel or a second backup.
  await sh([
    "dd",
    "if=/dev/urandom",
    `of=${join(big.filestore, "ff", "big-random")}`,
    "bs=1M",
    "count=256",
    "status=none",
  ]);
}, 120_000);
afterAll(async () => {
  for (const m of mounts) await sh(["umount", "-l", m]);
  await t?.stop();
});

async function waitFor(pred: () => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(5);
  }
}

describe("backup faults", () => {
  test("a viewer cannot start a backup (403) and nothing is recorded", async () => {
    const viewer = await t.client("viewer");
    const r = await viewer.postJson(`/api/v1/backup/instances/${big.id}/backups`, { scope: "db" });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("E_FORBIDDEN");
    const list = await viewer.getJson(`/api/v1/backup/instances/${big.id}/backups`);
    expect(list.body.data.backups).toEqual([]);
  });

  test("a wrong database password: failed with E_DB_AUTH, no backup and no partial left", async () => {
    const dest = join(t.dir, "dest-badpw");
    await setBackupSettings(t, { localDir: dest });
    const bad = await addAcmeInstance(t, "badpw", { password: "wrong" });
    const r = await t.admin.postJson(`/api/v1/backup/instances/${bad.id}/backups`, {
      wait: true,
      destinations: "local",
    });
    // The password is checked while inspecting (psql) and again by pg_dump: either way it is E_DB_AUTH.
    const b = r.body.data.backup;
    expect(b.status).toBe("failed");
    expect(b.error).toContain("E_DB_AUTH");
    expect(entries(dest)).toEqual([]);
  }, 60_000);

  test("a cancelled backup leaves neither the final folder nor the partial", async () => {
    const dest = join(t.dir, "dest-cancel");
    await setBackupSettings(t, { localDir: dest });
    const r = await t.admin.postJson(`/api/v1/backup/instances/${big.id}/backups`, { destinations: "local" });
    expect(r.status).toBe(200);
    const opId = r.body.data.operationId;
    await waitFor(() => {
      const s = t.core.operations.get(opId);
      return !!s?.steps.some((x) => x.name === "archive filestore" && (x.bytesDone ?? 0) > 1024 * 1024);
    });
    expect(entries(dest).some((n) => n.endsWith(".partial"))).toBe(true);
    expect(t.core.operations.cancel(opId)).toBe(true);
    await waitFor(() => t.core.operations.get(opId)?.status !== "running");
    await Bun.sleep(200);
    const b = (await t.admin.getJson(`/api/v1/backup/backups/${r.body.data.backupId}`)).body.data.backup;
    expect(b.status).toBe("cancelled");
    expect(entries(dest)).toEqual([]);
  }, 60_000);

  test("a second backup of the same instance while one runs gets E_BUSY", async () => {
    await setBackupSettings(t, { localDir: join(t.dir, "dest-busy") });
    const first = await t.admin.postJson(`/api/v1/backup/instances/${big.id}/backups`, {
      destinations: "local",
    });
    expect(first.status).toBe(200);
    const second = await t.admin.postJson(`/api/v1/backup/instances/${big.id}/backups`, {
      destinations: "local",
    });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe("E_BUSY");
    t.core.operations.cancel(first.body.data.operationId);
    await waitFor(() => t.core.operations.get(first.body.data.operationId)?.status !== "running");
  }, 60_000);

  test("a full disk: E_DISK_FULL and the partial folder is removed", async () => {
    const dest = join(t.dir, "dest-full");
    mkdirSync(dest);
    const m = await sh(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", dest]);
    expect(m.code).toBe(0);
    mounts.push(dest);
    await setBackupSettings(t, { localDir: dest });
    const r = await t.admin.postJson(`/api/v1/backup/instances/${big.id}/backups`, {
      wait: true,
      destinations: "local",
    });
    const b = r.body.data.backup;
    expect(b.status).toBe("failed");
    expect(b.error).toContain("E_DISK_FULL");
    expect(entries(dest)).toEqual([]);
  }, 60_000);

  test("pg_dump older than the server: E_PG_VERSION up front, nothing written", async () => {
    const dest = join(t.dir, "dest-pgv");
    await setBackupSettings(t, { localDir: dest });
    const bin = join(t.dir, "old-bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "pg_dump"), '#!/bin/sh\necho "pg_dump (PostgreSQL) 13.14"\n');
    chmodSync(join(bin, "pg_dump"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const r = await t.admin.postJson(`/api/v1/backup/instances/${big.id}/backups`, {
        wait: true,
        scope: "db",
        destinations: "local",
      });
      const b = r.body.data.backup;
      expect(b.status).toBe("failed");
      expect(b.error).toContain("E_PG_VERSION");
      expect(b.error).toContain("13.14");
      expect(entries(dest)).toEqual([]);
    } finally {
      process.env.PATH = path;
    }
  }, 60_000);
});
