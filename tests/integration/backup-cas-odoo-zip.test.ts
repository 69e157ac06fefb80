/**
 * "Download as Odoo zip" from a native backup whose filestore is in the content-addressed store:
 * the zip is built from the backup's dump and the objects its index lists, from the copy on this
 * machine and from the age-encrypted copy on a server. It passes the checks Odoo's own zip passes
 * (unzip, Python's zipfile, dump.sql, manifest.json, the fixture's 91 files byte for byte),
 * restores (101 partners, 39 modules), and goes round trip through upload and restore. A deleted
 * object is E_BACKUP_CORRUPT naming it before any byte is sent; a damaged one ends the download
 * as a file that is not a zip; the CLI leaves no file behind.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tree } from "../../plugins/backup/filestore-store/test-helpers.ts";
import backupPlugin from "../../plugins/backup/index.ts";
import { odooZipFromNative } from "../../plugins/backup/archive/odoo-zip-from-native.ts";
import { LocalDestination } from "../../plugins/backup/destinations/local.ts";
import { objectRel } from "../../plugins/backup/filestore-store/layout.ts";
import { restoreToNewDatabase } from "../../plugins/backup/restore/restore.ts";
import { restoreEnv } from "../../plugins/backup/tests/restore-test-helpers.ts";
import { listFiles } from "../../plugins/backup/restore/restore-verify.ts";
import type { PluginContext } from "../../server/sdk/index.ts";
import type { TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import { addAcmeInstance, setBackupSettings, sh, startBackupApp } from "./backup-helpers.ts";

setDefaultTimeout(180_000);

let t: TestApp & { dir: string };
let acme: Awaited<ReturnType<typeof addAcmeInstance>>;
let localDir: string;
let serverDir: string;
const dbsToDrop: string[] = [];

beforeAll(async () => {
  t = await startBackupApp();
  acme = await addAcmeInstance(t, "acme");
  localDir = join(t.dir, "local");
  serverDir = join(t.dir, "server");
  await setBackupSettings(t, { localDir, serverDir, filestoreStore: "cas", encryptRemote: true });
}, 120_000);
afterAll(async () => {
  const pg = await getPg();
  for (const db of dbsToDrop) await pg.dropDb(db).catch(() => {});
  await t?.stop();
  rmSync(t.dir, { recursive: true, force: true });
});

const create = async (destinations: string, format = "cas") => {
  const r = await t.admin.postJson(`/api/v1/backup/instances/${acme.id}/backups`, {
    wait: true,
    scope: "full",
    destinations,
  });
  expect(r.body.data?.backup?.status).toBe("ok");
  expect(r.body.data.backup.manifest.filestore.format ?? "tar").toBe(format);
  return r.body.data.backup as { id: number; name: string };
};

async function download(id: number, file: string, base = "/api/v1/backup") {
  const res = await t.admin.request("GET", `${base}/backups/${id}/download?as=odoo-zip`, {
    headers: { Accept: "application/json" },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toBe("application/zip");
  expect(res.headers.get("Content-Disposition")).toMatch(/filename="acme_.*_full\.zip"/);
  writeFileSync(file, new Uint8Array(await res.arrayBuffer()));
}

/** What odoo-zip-writers.test.ts checks of Odoo's zip, and the filestore byte for byte. */
async function checkZip(zip: string) {
  expect((await sh(["unzip", "-tq", zip])).code).toBe(0);
  const py = await sh([
    "python3",
    "-c",
    "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())",
    zip,
  ]);
  expect(py.out.trim()).toBe("None");
  const names = (await sh(["unzip", "-Z1", zip])).out.trim().split("\n");
  expect(names[0]).toBe("dump.sql"); // Odoo writes dump.sql first
  expect(names).toContain("manifest.json");
  expect(names.filter((n) => n.startsWith("filestore/")).length).toBe(91);
  const manifest = JSON.parse((await sh(["unzip", "-p", zip, "manifest.json"])).out);
  expect(manifest).toMatchObject({ odoo_dump: "1", db_name: acme.db, version: "17.0", pg_version: "15.0" });
  expect(Object.keys(manifest.modules).length).toBe(39);
  expect(manifest.modules.base).toBe("17.0.1.3");
  const partners = await sh([
    "sh",
    "-c",
    'unzip -p "$1" dump.sql | grep -c "^COPY public.res_partner "',
    "x",
    zip,
  ]);
  expect(partners.out.trim()).toBe("1");
  const out = join(t.dir, `unzipped-${Date.now()}`);
  expect((await sh(["unzip", "-q", zip, "filestore/*", "-d", out])).code).toBe(0);
  expect(tree(join(out, "filestore"))).toEqual(tree(acme.filestore));
  rmSync(out, { recursive: true, force: true });
}

describe("Odoo zip from a CAS backup", () => {
  let both: { id: number; name: string };
  let zip: string;

  test("from the copy on this machine: a zip Odoo's checks accept, with the exact filestore", async () => {
    both = await create(`local,server:${acme.id}`);
    zip = join(t.dir, "from-local.zip");
    await download(both.id, zip);
    await checkZip(zip);
    // The download is audited, with the form asked for.
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "backup.download")
      .execute();
    expect(JSON.stringify(audit.at(-1))).toContain("odoo-zip");
  });

  test("from the age-encrypted copy on a server (no copy on this machine)", async () => {
    const only = await create(`server:${acme.id}`);
    const file = join(t.dir, "from-server.zip");
    // Through the backups page's link this time.
    const html = (await t.admin.page(`/p/backup/i/${acme.id}/backups`)).html;
    expect(html).toContain(`/p/backup/backups/${only.id}/download?as=odoo-zip`);
    await download(only.id, file, "/p/backup");
    await checkZip(file);
  });

  test("the zip restores: 101 partners, 39 modules, 91 filestore files", async () => {
    const env = await restoreEnv("caszip");
    const res = await restoreToNewDatabase({ ...env, source: zip, dbName: "caszip_1", neutralize: false });
    dbsToDrop.push("caszip_1");
    expect(await env.db("caszip_1").odooInfo()).toMatchObject({
      partners: 101,
      installedModules: 39,
      users: 8,
    });
    expect((await listFiles(env.conn, join(env.filestoreRoot, "caszip_1"))).size).toBe(91);
    expect(res.check?.missingFiles).toEqual([]);
  });

  test("round trip: the zip uploaded and restored into a new database through the API", async () => {
    const up = await t.admin.request("POST", `/api/v1/backup/i/${acme.id}/restore/upload`, {
      body: Bun.file(zip).stream(),
      headers: { Accept: "application/json", "Content-Type": "application/zip" },
    });
    const upBody = (await up.json()) as any;
    expect(upBody.ok).toBe(true);
    const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore`, {
      source: upBody.data.path,
      target: "new",
      dbName: "caszip_up",
    });
    expect(r.body.ok).toBe(true);
    dbsToDrop.push("caszip_up");
    for (;;) {
      const op = t.core.operations.get(r.body.data.operationId);
      if (op?.status !== "running") {
        expect(op?.status).toBe("ok");
        break;
      }
      await Bun.sleep(200);
    }
    const pg = await getPg();
    expect((await pg.psql("caszip_up", "SELECT count(*) FROM res_partner")).trim()).toBe("101");
    expect(tree(join(acme.data, "filestore", "caszip_up"))).toEqual(tree(acme.filestore));
  });

  test("a deleted object: E_BACKUP_CORRUPT naming it before any byte, and the CLI leaves no file", async () => {
    const b = await create("local");
    const index = JSON.parse(readFileSync(join(localDir, b.name, "filestore.index.json"), "utf8"));
    const victim = index.files[3];
    rmSync(join(localDir, objectRel(victim.sha256)));
    // The other backups share the object: they are now incomplete too, at this destination.
    const res = await t.admin.getJson(`/api/v1/backup/backups/${b.id}/download?as=odoo-zip`);
    expect(res.body.ok).toBe(false);
    expect(res.body.error.code).toBe("E_BACKUP_CORRUPT");
    expect(res.body.error.message).toContain(victim.sha256);
    expect(res.body.error.message).toContain(victim.path);
    const cli = backupPlugin.cli?.find((c) => c.name === "backup download");
    const file = join(t.dir, "cli.zip");
    const ctx = t.core.host.records.find((r) => r.id === "backup")?.ctx as PluginContext;
    const err = await cli?.run([String(b.id), file, "--as", "odoo-zip"], ctx).catch((e) => e);
    expect(err?.code).toBe("E_BACKUP_CORRUPT");
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });

  test("a download given up after its first bytes ends the tools (the export settles as cancelled)", async () => {
    const b = await create("local");
    const rec = (await t.admin.getJson(`/api/v1/backup/backups/${b.id}`)).body.data.backup;
    const z = await odooZipFromNative({
      name: rec.name,
      manifest: rec.manifest,
      dest: new LocalDestination(localDir),
    });
    const reader = z.stdout.getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel();
    expect(
      await z.finished.then(
        () => "finished",
        (e) => e.code,
      ),
    ).toBe("E_CANCELLED");
  });

  test("a damaged dump part: E_BACKUP_CORRUPT naming it, and the CLI leaves no file", async () => {
    const b = await create("local");
    const p = join(localDir, b.name, "db.dump.zst");
    const bytes = readFileSync(p);
    bytes[Math.floor(bytes.length / 2)] ^= 1;
    writeFileSync(p, bytes);
    const cli = backupPlugin.cli?.find((c) => c.name === "backup download");
    const ctx = t.core.host.records.find((r) => r.id === "backup")?.ctx as PluginContext;
    const file = join(t.dir, "damaged-dump.zip");
    const err = await cli?.run([String(b.id), file, "--as", "odoo-zip"], ctx).catch((e) => e);
    expect(err?.code).toBe("E_BACKUP_CORRUPT");
    expect(err?.message).toContain("db.dump.zst");
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });

  test("a native backup with its filestore as a tar downloads as the same Odoo zip", async () => {
    await setBackupSettings(t, { localDir, serverDir, filestoreStore: "tar", encryptRemote: true });
    try {
      const b = await create("local", "tar");
      const file = join(t.dir, "from-tar.zip");
      await download(b.id, file);
      await checkZip(file);
    } finally {
      await setBackupSettings(t, { localDir, serverDir, filestoreStore: "cas", encryptRemote: true });
    }
  });

  test("a damaged object: the download ends with an error and what arrived is not a zip", async () => {
    const b = await create("local");
    const index = JSON.parse(readFileSync(join(localDir, b.name, "filestore.index.json"), "utf8"));
    const victim = index.files.at(-1);
    const p = join(localDir, objectRel(victim.sha256));
    const bytes = readFileSync(p);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(p, bytes);
    const res = await t.admin.request("GET", `/api/v1/backup/backups/${b.id}/download?as=odoo-zip`);
    expect(res.status).toBe(200); // the damage is only seen when the object is read
    const got = await res.arrayBuffer().then(
      (a) => new Uint8Array(a),
      () => null,
    );
    if (got) {
      const file = join(t.dir, "damaged.zip");
      writeFileSync(file, got);
      expect((await sh(["unzip", "-tq", file])).code).not.toBe(0);
    }
  });
});
