import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "bun";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import type { TestApp } from "../helpers/app.ts";
import { registerCleanup } from "../helpers/cleanup.ts";
import { addAcmeInstance, setBackupSettings, startBackupApp } from "./backup-helpers.ts";

/** A real S3-compatible server (s3rver) on a random loopback port, started once per run. */
let s3: Promise<{ endpoint: string }> | null = null;
function getS3() {
  s3 ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "odoodeck-s3-"));
    const server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: "backups" }],
    });
    const { port } = await server.run();
    registerCleanup(async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { endpoint: `http://127.0.0.1:${port}` };
  })();
  return s3;
}

let t: TestApp & { dir: string };
let inst: Awaited<ReturnType<typeof addAcmeInstance>>;
let client: S3Client;

beforeAll(async () => {
  const { endpoint } = await getS3();
  t = await startBackupApp();
  inst = await addAcmeInstance(t, "acme-s3");
  await setBackupSettings(t, {
    s3Endpoint: endpoint,
    s3Bucket: "backups",
    s3Prefix: "odoodeck/",
    s3AccessKey: "S3RVER",
    s3Secret: "S3RVER",
    localDir: join(t.dir, "local"),
  });
  client = new S3Client({
    endpoint,
    bucket: "backups",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    region: "us-east-1",
  });
}, 60_000);
afterAll(() => t?.stop());

async function objectSha(key: string) {
  const h = new Bun.CryptoHasher("sha256");
  for await (const c of client.file(key).stream()) h.update(c);
  return h.digest("hex");
}

describe("backup to S3 and to several destinations", () => {
  test("one backup to local and S3: both published and checksummed, verify re-reads both", async () => {
    const r = await t.admin.postJson(`/api/v1/backup/instances/${inst.id}/backups`, {
      wait: true,
      destinations: "local,s3",
    });
    const b = r.body.data.backup;
    expect(b.status).toBe("ok");
    expect(b.destinations.map((d: any) => [d.id, d.status, d.verify])).toEqual([
      ["local", "ok", "verified"],
      ["s3", "ok", "verified"],
    ]);
    expect(b.destinations[1].path).toBe(`s3://backups/odoodeck/${b.name}`);
    const keys = ((await client.list({ prefix: `odoodeck/${b.name}/` })).contents ?? [])
      .map((c) => c.key)
      .sort();
    expect(keys).toEqual(
      ["db.dump.zst", "filestore.tar.zst", "manifest.json"].map((n) => `odoodeck/${b.name}/${n}`),
    );
    for (const p of b.manifest.parts) expect(await objectSha(`odoodeck/${b.name}/${p.name}`)).toBe(p.sha256);
    expect(readdirSync(join(t.dir, "local"))).toEqual([b.name]);
    const v = await t.admin.postJson(`/api/v1/backup/backups/${b.id}/verify`, { wait: true });
    expect(v.body.data.backup.destinations.every((d: any) => d.verify === "verified")).toBe(true);
  }, 60_000);

  test("an Odoo zip to S3 only", async () => {
    const r = await t.admin.postJson(`/api/v1/backup/instances/${inst.id}/backups`, {
      wait: true,
      format: "zip",
      scope: "db",
      destinations: "s3",
    });
    const b = r.body.data.backup;
    expect(b.status).toBe("ok");
    expect(await objectSha(`odoodeck/${b.name}`)).toBe(b.manifest.parts[0].sha256);
  }, 60_000);

  test("a destination that fails makes the backup fail, even when the other one got its copy", async () => {
    await setBackupSettings(t, { s3Bucket: "no-such-bucket" });
    try {
      const r = await t.admin.postJson(`/api/v1/backup/instances/${inst.id}/backups`, {
        wait: true,
        scope: "db",
        destinations: "local,s3",
      });
      const b = r.body.data.backup;
      expect(b.status).toBe("failed");
      const [local, s3d] = b.destinations;
      expect(local.status).toBe("ok");
      expect(s3d.status).toBe("failed");
      expect(s3d.error).toBeTruthy();
      expect(b.error).toContain("s3");
      const { html } = await t.admin.page(`/p/backup/i/${inst.id}/backups`);
      expect(html).toContain("failed");
      // The card never shows a failed backup as the last one.
      const last = (await t.admin.getJson(`/api/v1/backup/instances/${inst.id}/backups`)).body.data
        .backups[0];
      expect(last.status).toBe("failed");
    } finally {
      await setBackupSettings(t, { s3Bucket: "backups" });
    }
  }, 60_000);
});
