/**
 * Backups that live only on S3 (a real s3rver) or on a server reached over SSH (a real sshd):
 * restore and restore-test fetch them into a staging folder, check every part's SHA-256, and
 * remove the staging copy afterwards; a tampered copy is E_BACKUP_CORRUPT with nothing dropped, and
 * the backup record then says that copy is corrupt, so it is shown so and not picked again.
 * Also: an instance on an SSH server backed up to a server destination gives a verified backup.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "bun";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import type { TestApp } from "../helpers/app.ts";
import { registerCleanup } from "../helpers/cleanup.ts";
import { getPg } from "../helpers/pg.ts";
import { getSshd } from "../helpers/sshd.ts";
import {
  addAcmeInstance,
  moveToSshServer,
  setBackupSettings,
  sha256File,
  startBackupApp,
} from "./backup-helpers.ts";

// SSH round trips on a loaded 2-CPU box take seconds.
setDefaultTimeout(120_000);

let t: TestApp & { dir: string };
let acme: Awaited<ReturnType<typeof addAcmeInstance>>;
let viaSsh: Awaited<ReturnType<typeof addAcmeInstance>>;
let s3: S3Client;
let serverDir: string;
let sshUser: string;

async function startS3(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "odoodeck-s3-remote-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: "remote" }],
  });
  const { port } = await server.run();
  registerCleanup(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  const [endpoint, sshd] = await Promise.all([startS3(), getSshd()]);
  sshUser = sshd.username;
  t = await startBackupApp();
  acme = await addAcmeInstance(t, "acme");
  viaSsh = await addAcmeInstance(t, "acme-ssh");
  await moveToSshServer(t, viaSsh.id);
  serverDir = join(t.dir, "server-backups");
  await setBackupSettings(t, {
    localDir: join(t.dir, "local"),
    serverDir,
    s3Endpoint: endpoint,
    s3Bucket: "remote",
    s3Prefix: "odoodeck/",
    s3AccessKey: "S3RVER",
    s3Secret: "S3RVER",
  });
  s3 = new S3Client({
    endpoint,
    bucket: "remote",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    region: "us-east-1",
  });
}, 120_000);
afterAll(() => t?.stop());

async function backup(instanceId: number, destinations: string, scope = "full") {
  const r = await t.admin.postJson(`/api/v1/backup/instances/${instanceId}/backups`, {
    wait: true,
    destinations,
    scope,
  });
  const b = r.body.data.backup;
  expect(b.status).toBe("ok");
  return b;
}
async function waitOp(id: string) {
  for (;;) {
    const { body } = await t.admin.getJson(`/api/v1/operations/${id}`);
    if (body.data.status !== "running") return body.data;
    await Bun.sleep(100);
  }
}
const psql = async (db: string, sql: string) => (await getPg()).psql(db, sql).then((s) => s.trim());
const staging = () => join(t.dataDir, "restore-staging");
const stagingLeft = () => (existsSync(staging()) ? readdirSync(staging()) : []);
const temporaries = async () =>
  (
    await psql(
      "postgres",
      "SELECT datname FROM pg_database WHERE datname LIKE '%\\_\\_restore\\_%' OR datname LIKE 'odoodeck_rt_%'",
    )
  )
    .split("\n")
    .filter(Boolean);

async function restoreNew(backupId: number, dbName: string) {
  const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore`, {
    backupId,
    target: "new",
    dbName,
  });
  expect(r.body.ok).toBe(true);
  return waitOp(r.body.data.operationId);
}

describe("restore from a backup stored only remotely", () => {
  test("S3 only: restore into a new database fetches it, checks it, counts match, staging removed", async () => {
    const b = await backup(acme.id, "s3");
    expect(b.destinations.map((d: any) => [d.id, d.verify])).toEqual([["s3", "verified"]]);
    expect(existsSync(join(t.dir, "local", b.name))).toBe(false);
    const db = `acme_from_s3_${process.pid}`;
    const op = await restoreNew(b.id, db);
    expect(op.error).toBeUndefined();
    expect(op.status).toBe("ok");
    expect(op.log).toContain(`Fetched ${b.name} from s3://remote/odoodeck/: every part matches its SHA-256`);
    expect(await psql(db, "SELECT count(*) FROM res_partner")).toBe("101");
    expect(await psql(db, "SELECT count(*) FROM ir_attachment WHERE store_fname IS NOT NULL")).toBe("228");
    expect(
      readdirSync(join(acme.data, "filestore", db), { recursive: true }).filter((f) =>
        String(f).includes("/"),
      ).length,
    ).toBeGreaterThanOrEqual(91);
    expect(stagingLeft()).toEqual([]);
    expect(await temporaries()).toEqual([]);
  });

  test("a restore test of an S3-only backup fetches it first and passes", async () => {
    const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore-tests`, { wait: true });
    const rt = r.body.data.test;
    expect(rt.status).toBe("ok");
    expect(rt.checks.find((c: any) => c.name === "attachments").message).toBe(
      "228 attachment rows, 91 files: all present, 91 SHA-1 verified",
    );
    const op = await waitOp(rt.operationId);
    expect(op.steps.find((s: any) => s.name === "fetch the backup")).toMatchObject({
      status: "ok",
      result: { from: "s3" },
    });
    expect(stagingLeft()).toEqual([]);
    expect(await temporaries()).toEqual([]);
  });

  test("an Odoo zip stored only on S3 is fetched and restore-tested the same way", async () => {
    const b = await backup(acme.id, "s3");
    const zip = await t.admin.postJson(`/api/v1/backup/instances/${acme.id}/backups`, {
      wait: true,
      destinations: "s3",
      format: "zip",
    });
    expect(zip.body.data.backup.status).toBe("ok");
    const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore-tests`, { wait: true });
    const rt = r.body.data.test;
    expect(rt.backupName).toBe(zip.body.data.backup.name);
    expect(rt.backupName).not.toBe(b.name);
    expect(rt.status).toBe("ok");
    expect(rt.checks.map((c: any) => [c.name, c.status])).toEqual([
      ["fetch", "ok"],
      ["restore", "ok"],
      ["neutralize", "ok"],
      ["counts", "ok"],
      ["attachments", "ok"],
      ["modules", "ok"],
      ["odoo", "skipped"],
      ["cleanup", "ok"],
    ]);
    expect(rt.checks[0].message).toBe(
      "no copy on this machine: fetched from s3, every part matches its SHA-256",
    );
    expect(stagingLeft()).toEqual([]);
    expect(await temporaries()).toEqual([]);
  });

  test("a tampered S3 copy is E_BACKUP_CORRUPT: the live database is untouched, staging removed", async () => {
    const b = await backup(acme.id, "s3", "db");
    const key = `odoodeck/${b.name}/db.dump.zst`;
    const bytes = new Uint8Array(await s3.file(key).arrayBuffer());
    bytes[Math.floor(bytes.length / 2)] ^= 0xff; // same size, one byte changed
    await s3.write(key, bytes);
    await psql(acme.db, "UPDATE res_partner SET comment = 'still live' WHERE id = 1");
    const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore`, {
      backupId: b.id,
      target: "instance",
    });
    const op = await waitOp(r.body.data.operationId);
    expect(op.status).toBe("error");
    expect(op.error.code).toBe("E_BACKUP_CORRUPT");
    expect(op.error.message).toBe("db.dump.zst at s3://remote/odoodeck/ does not match its SHA-256");
    expect(await psql(acme.db, "SELECT comment FROM res_partner WHERE id = 1")).toBe("still live");
    expect(await psql(acme.db, "SELECT count(*) FROM res_partner")).toBe("101");
    expect((await t.admin.getJson(`/api/v1/backup/i/${acme.id}/rollbacks`)).body.data).toEqual([]);
    expect(stagingLeft()).toEqual([]);
    expect(await temporaries()).toEqual([]);
    // The record now says so, and the same backup is no longer offered for a restore.
    const rec = (await t.admin.getJson(`/api/v1/backup/backups/${b.id}`)).body.data.backup;
    expect(rec.destinations[0]).toMatchObject({
      id: "s3",
      verify: "corrupt",
      verifyError: "db.dump.zst at s3://remote/odoodeck/ does not match its SHA-256",
    });
    expect(op.log).toContain("s3: the copy there is now marked corrupt");
    const again = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore`, {
      backupId: b.id,
      target: "instance",
    });
    expect(again.body.error).toMatchObject({
      code: "E_NOT_FOUND",
      message: `Backup ${b.name} has no good copy at any destination`,
    });
  });
});

describe("server destination over SSH", () => {
  test("an instance on an SSH server backs up to a server destination: published and verified", async () => {
    const b = await backup(viaSsh.id, `server:${viaSsh.id}`);
    const d = b.destinations[0];
    expect(d).toMatchObject({ id: `server:${viaSsh.id}`, status: "ok", verify: "verified" });
    expect(d.label).toContain(`${sshUser}@127.0.0.1:`);
    expect(d.path).toContain(`${serverDir}/${b.name}`);
    expect(b.manifest.counts).toEqual({ res_users: 8, res_partner: 101, ir_attachment_stored: 228 });
    expect(b.manifest.filestore.files).toBe(91);
    expect(b.manifest.source.server).toBe("ssh-loopback");
    expect(readdirSync(join(serverDir, b.name)).sort()).toEqual([
      "db.dump.zst",
      "filestore.tar.zst",
      "manifest.json",
    ]);
    for (const p of b.manifest.parts)
      expect(await sha256File(join(serverDir, b.name, p.name))).toBe(p.sha256);
    const v = await t.admin.postJson(`/api/v1/backup/backups/${b.id}/verify`, { wait: true });
    expect(v.body.data.backup.destinations[0].verify).toBe("verified");
  });

  test("a backup only on the server destination restores into a new database over SSH", async () => {
    const b = await backup(acme.id, `server:${viaSsh.id}`);
    const db = `acme_from_ssh_${process.pid}`;
    const op = await restoreNew(b.id, db);
    expect(op.error).toBeUndefined();
    expect(op.log).toContain(`Fetched ${b.name} from ${sshUser}@127.0.0.1:`);
    expect(await psql(db, "SELECT count(*) FROM res_partner")).toBe("101");
    expect(await psql(db, "SELECT count(*) FROM ir_module_module WHERE state = 'installed'")).toBe("39");
    expect(stagingLeft()).toEqual([]);
  });

  test("a truncated copy on the server fails the restore test with E_BACKUP_CORRUPT and leaves nothing", async () => {
    const b = await backup(acme.id, `server:${viaSsh.id}`, "db");
    const part = join(serverDir, b.name, "db.dump.zst");
    const bytes = new Uint8Array(await Bun.file(part).arrayBuffer());
    await Bun.write(part, bytes.slice(0, bytes.length - 100));
    const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore-tests`, { wait: true });
    const rt = r.body.data.test;
    expect(rt.status).toBe("failed");
    expect(rt.errorCode).toBe("E_BACKUP_CORRUPT");
    expect(rt.error).toContain(`has ${bytes.length - 100} bytes, the backup recorded ${bytes.length}`);
    expect(rt.scratchDb).toBeNull();
    expect(stagingLeft()).toEqual([]);
    expect(await temporaries()).toEqual([]);
  });

  test("a copy on the server found corrupt by a restore test is marked so: the page shows it, the next test skips it", async () => {
    const good = await backup(acme.id, `server:${viaSsh.id}`, "db");
    const bad = await backup(acme.id, `server:${viaSsh.id}`, "db");
    const part = join(serverDir, bad.name, "db.dump.zst");
    const bytes = new Uint8Array(await Bun.file(part).arrayBuffer());
    bytes[Math.floor(bytes.length / 2)] ^= 0xff; // same size, one byte changed
    await Bun.write(part, bytes);
    const dest = `server:${viaSsh.id}`;
    const first = (await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore-tests`, { wait: true })).body
      .data.test;
    expect(first).toMatchObject({ status: "failed", errorCode: "E_BACKUP_CORRUPT", backupName: bad.name });
    // The record says which copy is bad, since when and why.
    const rec = (await t.admin.getJson(`/api/v1/backup/backups/${bad.id}`)).body.data.backup;
    expect(rec.destinations).toHaveLength(1);
    expect(rec.destinations[0]).toMatchObject({ id: dest, status: "ok", verify: "corrupt" });
    expect(rec.destinations[0].verifyError).toMatch(/^db\.dump\.zst at .+ does not match its SHA-256$/);
    expect(Date.parse(rec.destinations[0].verifiedAt)).toBeGreaterThan(Date.parse(first.startedAt));
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "backup.mark-bad")
      .where("target", "=", bad.name)
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0].details!)).toMatchObject({ destination: dest, verify: "corrupt" });
    // The Backups page shows that backup corrupt, with the reason, and the good one not.
    const html = (await t.admin.page(`/p/backup/i/${acme.id}/backups`)).html;
    // The row shows the name without the instance; its title carries the full name.
    const row = (name: string) => html.slice(html.indexOf(`title="${name}"`)).split("</tr>")[0];
    expect(row(bad.name)).toContain("ok · corrupt");
    expect(row(bad.name)).toContain("does not match its SHA-256");
    expect(row(good.name)).not.toContain("corrupt");
    // The next restore test passes over it to the newest backup with a good copy, and says so.
    const next = (await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore-tests`, { wait: true })).body
      .data.test;
    expect(next.status).toBe("ok");
    expect(next.backupName).toBe(good.name);
    expect(next.checks[0]).toMatchObject({ name: "pick", status: "skipped" });
    expect(next.checks[0].message).toContain(
      `not tested, every copy was found bad: ${bad.name} (${dest} corrupt:`,
    );
    expect(stagingLeft()).toEqual([]);
    expect(await temporaries()).toEqual([]);
  });
});
