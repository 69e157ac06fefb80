import { beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readdirSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { restoreToNewDatabase } from "../../plugins/backup/restore/restore.ts";
import {
  codeOf,
  databasesLike,
  liveFixture,
  type RestoreEnv,
  restoreEnv,
  testDir,
} from "../../plugins/backup/tests/restore-test-helpers.ts";
import { listFiles } from "../../plugins/backup/restore/restore-verify.ts";
import { SshConnection } from "../../server/connections/ssh.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { getSshd } from "../helpers/sshd.ts";

let env: RestoreEnv;

beforeAll(async () => {
  env = await restoreEnv("zip");
}, 120_000);

describe("restore of Odoo's own backup zip", () => {
  test("into a new database: 101 partners, 39 modules, 91 filestore files, owner-less non-superuser restore", async () => {
    const t0 = performance.now();
    const res = await restoreToNewDatabase({
      ...env,
      source: FIXTURES.prodOdooBackupZip,
      dbName: "zip_new_1",
      neutralize: false,
    });
    const secs = (performance.now() - t0) / 1000;
    console.log(`restore of the Odoo zip fixture: ${secs.toFixed(2)} s`);
    expect(res.dbName).toBe("zip_new_1");
    expect(await env.db("zip_new_1").odooInfo()).toMatchObject({
      partners: 101,
      installedModules: 39,
      users: 8,
    });
    const files = await listFiles(env.conn, join(env.filestoreRoot, "zip_new_1"));
    expect(files.size).toBe(91);
    expect(res.check?.missingFiles).toEqual([]);
    // nothing temporary left behind
    expect(readdirSync(env.filestoreRoot).sort()).toEqual(["zip_new_1"]);
    expect(await databasesLike(env, "zip_new_1__%")).toEqual([]);
  }, 120_000);

  test("a truncated zip is refused with E_BACKUP_CORRUPT before anything is created", async () => {
    const dir = testDir("trunc");
    const bad = join(dir, "truncated.zip");
    copyFileSync(FIXTURES.prodOdooBackupZip, bad);
    truncateSync(bad, Math.floor(statSync(bad).size / 2));
    const live = await liveFixture(env, "acme_prod");
    const before = await env.db(live).odooInfo();
    const err = await codeOf(restoreToNewDatabase({ ...env, source: bad, dbName: "zip_trunc" }));
    expect(err.code).toBe("E_BACKUP_CORRUPT");
    expect(await databasesLike(env, "zip_trunc%")).toEqual([]);
    expect(existsSync(join(env.filestoreRoot, "zip_trunc"))).toBe(false);
    expect(await env.db(live).odooInfo()).toEqual(before);
  }, 120_000);

  test("an existing database name is refused (E_CONFLICT), the database untouched", async () => {
    const live = await liveFixture(env, "acme_prod");
    const err = await codeOf(
      restoreToNewDatabase({ ...env, source: FIXTURES.prodOdooBackupZip, dbName: live }),
    );
    expect(err.code).toBe("E_CONFLICT");
    expect((await env.db(live).odooInfo()).partners).toBe(101);
  }, 60_000);
});

describe("restore of Odoo's zip onto a server reached over SSH", () => {
  test("dump.sql and the 91 filestore files arrive through the SSH connection, one tar stream", async () => {
    const s = await getSshd();
    const conn = new SshConnection({
      host: s.host,
      port: s.port,
      username: s.username,
      privateKey: s.privateKey,
    });
    try {
      const res = await restoreToNewDatabase({
        ...env,
        conn,
        source: FIXTURES.prodOdooBackupZip,
        dbName: "zip_ssh_1",
        neutralize: false,
      });
      expect(res.dbName).toBe("zip_ssh_1");
      expect(await env.db("zip_ssh_1").odooInfo()).toMatchObject({ partners: 101, installedModules: 39 });
      const files = await listFiles(conn, join(env.filestoreRoot, "zip_ssh_1"));
      expect(files.size).toBe(91);
      expect(res.check?.missingFiles).toEqual([]);
      expect(await databasesLike(env, "zip_ssh_1__%")).toEqual([]);
    } finally {
      await conn.close();
    }
  }, 120_000);
});
