/**
 * Native backups with the filestore in a content-addressed store (setting filestoreStore=cas),
 * through the real app, to a folder on this machine and to a server folder (age-encrypted, the
 * default for destinations that leave this machine): the second backup after one new attachment
 * uploads one object; each copy restores the exact filestore; a damaged object fails verify.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ServerDestination } from "../../plugins/backup/destinations/server.ts";
import { tree } from "../../plugins/backup/filestore-store/test-helpers.ts";
import { EncryptedDestination } from "../../plugins/backup/encryption/encrypted-destination.ts";
import { exportKeyFile, loadOrCreateKey } from "../../plugins/backup/encryption/keys.ts";
import { discardTemp, restoreToTemp } from "../../plugins/backup/restore/restore.ts";
import { restoreEnv } from "../../plugins/backup/tests/restore-test-helpers.ts";
import { stageBackup } from "../../plugins/backup/restore/restore-staging.ts";
import type { TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import { LocalConnection } from "../../server/connections/local.ts";
import { addAcmeInstance, setBackupSettings, startBackupApp } from "./backup-helpers.ts";

setDefaultTimeout(180_000);

let t: TestApp & { dir: string };
let acme: Awaited<ReturnType<typeof addAcmeInstance>>;
let localDir: string;
let serverDir: string;

beforeAll(async () => {
  t = await startBackupApp();
  acme = await addAcmeInstance(t, "acme");
  localDir = join(t.dir, "local");
  serverDir = join(t.dir, "server");
  // Booleans left out of a settings form are off: say it.
  await setBackupSettings(t, { localDir, serverDir, filestoreStore: "cas", encryptRemote: true });
}, 120_000);
afterAll(() => t?.stop());

const create = async () => {
  const r = await t.admin.postJson(`/api/v1/backup/instances/${acme.id}/backups`, {
    wait: true,
    scope: "full",
    destinations: `local,server:${acme.id}`,
  });
  expect(r.status).toBe(200);
  expect(r.body.data.backup.status).toBe("ok");
  return r.body.data.backup;
};

const objects = (root: string) =>
  readdirSync(join(root, "objects")).flatMap((aa) => readdirSync(join(root, "objects", aa)));

describe("CAS filestore in native backups", () => {
  const backups: { name: string; tree: Record<string, string>; rec: unknown }[] = [];

  test("a second backup after one new attachment stores one new object at each destination", async () => {
    const b1 = await create();
    expect(b1.manifest.filestore).toMatchObject({ files: 91, format: "cas" });
    expect(b1.manifest.parts.map((p: { name: string }) => p.name)).toEqual([
      "db.dump.zst",
      "filestore.index.json",
    ]);
    backups.push({ name: b1.name, tree: tree(acme.filestore), rec: b1 });
    const before = { local: objects(localDir).length, server: objects(serverDir).length };
    expect(before.server).toBe(before.local);
    // Encrypted at the server: stored as .age, not the plaintext.
    expect(objects(serverDir).every((n) => n.endsWith(".age"))).toBe(true);
    expect(readdirSync(join(serverDir, b1.name)).sort()).toEqual([
      "db.dump.zst.age",
      "filestore.index.json.age",
      "manifest.json.age",
    ]);
    expect(
      readFileSync(join(serverDir, b1.name, "manifest.json.age"))
        .subarray(0, 21)
        .toString(),
    ).toBe("age-encryption.org/v1");
    const data = randomBytes(40_000);
    const sha1 = createHash("sha1").update(data).digest("hex");
    mkdirSync(join(acme.filestore, sha1.slice(0, 2)), { recursive: true });
    writeFileSync(join(acme.filestore, sha1.slice(0, 2), sha1), data);
    const b2 = await create();
    backups.push({ name: b2.name, tree: tree(acme.filestore), rec: b2 });
    expect(objects(localDir).length).toBe(before.local + 1);
    expect(objects(serverDir).length).toBe(before.server + 1);
    // The operation says what moved.
    const op = await t.admin.getJson(`/api/v1/operations/${b2.operationId}`);
    expect(JSON.stringify(op.body)).toContain(`server:${acme.id}: uploaded 1 new objects, 40000 bytes`);
  });

  test("each backup restores the exact filestore, from the local store and from the encrypted server copy", async () => {
    const env = await restoreEnv("cas");
    const key = await loadOrCreateKey(t.dataDir, t.core.secrets);
    const server = new EncryptedDestination(
      new ServerDestination(new LocalConnection(), serverDir, `server:${acme.id}`),
      key,
    );
    for (const b of backups) {
      const local = await restoreToTemp({
        ...env,
        source: join(localDir, b.name),
        dbName: `cas_${backups.indexOf(b)}`,
      });
      expect(tree(local.tempFilestore!)).toEqual(b.tree);
      await discardTemp(local);
      const staged = await stageBackup(t.dataDir, b.rec as never, async () => server);
      try {
        const remote = await restoreToTemp({
          ...env,
          source: staged.path,
          dbName: `casr_${backups.indexOf(b)}`,
        });
        expect(tree(remote.tempFilestore!)).toEqual(b.tree);
        await discardTemp(remote);
      } finally {
        await staged.release();
      }
    }
  });

  test("the commands of docs/recovery.md restore the encrypted server copy without odoodeck", async () => {
    const b = backups[1];
    const work = join(t.dir, "recovery");
    mkdirSync(work);
    cpSync(join(serverDir, b.name), join(work, b.name), { recursive: true });
    cpSync(join(serverDir, "objects"), join(work, "objects"), { recursive: true });
    writeFileSync(
      join(work, "backup-key.txt"),
      await exportKeyFile(await loadOrCreateKey(t.dataDir, t.core.secrets)),
    );
    const doc = readFileSync(join(import.meta.dir, "../../docs/recovery.md"), "utf8");
    const script = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join("\n");
    const pg = await getPg();
    const dbName = `recovered_${Date.now()}`;
    const p = Bun.spawn(["bash", "-euo", "pipefail", "-c", script], {
      cwd: work,
      env: {
        ...process.env,
        BACKUP: b.name,
        STORE: ".",
        KEY: "backup-key.txt",
        OUT: "restored",
        DBNAME: dbName,
        PGHOST: pg.host,
        PGPORT: String(pg.port),
        PGUSER: pg.odooUser,
        PGPASSWORD: pg.odooPassword,
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, code] = await Promise.all([
      new Response(p.stdout).text(),
      new Response(p.stderr).text(),
      p.exited,
    ]);
    try {
      expect({ code, err }).toEqual({ code: 0, err: "" });
      expect(out).toContain("ok  filestore.index.json");
      expect(tree(join(work, "restored"))).toEqual(b.tree);
      const count = Bun.spawnSync(["psql", "-tAc", "SELECT count(*) FROM res_partner", "-d", dbName], {
        env: {
          ...process.env,
          PGHOST: pg.host,
          PGPORT: String(pg.port),
          PGUSER: pg.odooUser,
          PGPASSWORD: pg.odooPassword,
        },
      });
      expect(count.stdout.toString().trim()).toBe("101");
    } finally {
      Bun.spawnSync(["dropdb", "--if-exists", dbName], {
        env: {
          ...process.env,
          PGHOST: pg.host,
          PGPORT: String(pg.port),
          PGUSER: pg.odooUser,
          PGPASSWORD: pg.odooPassword,
        },
      });
    }
  });

  test("verify finds a damaged object at the server", async () => {
    const b = backups[1].rec as { id: number };
    const victim = readdirSync(join(serverDir, "objects"))[0];
    const file = readdirSync(join(serverDir, "objects", victim))[0];
    const p = join(serverDir, "objects", victim, file);
    const bytes = readFileSync(p);
    bytes[bytes.length - 30] ^= 1;
    writeFileSync(p, bytes);
    const r = await t.admin.postJson(`/api/v1/backup/backups/${b.id}/verify`, { wait: true });
    expect(JSON.stringify(r.body)).toContain("1 damaged");
  });
});
