import { beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { restoreToNewDatabase, restoreToTemp } from "../../plugins/backup/restore/restore.ts";
import { finishRestore } from "../../plugins/backup/restore/restore-finish.ts";
import {
  codeOf,
  databasesLike,
  liveFixture,
  makeNativeBackup,
  type RestoreEnv,
  restoreEnv,
  testDir,
} from "../../plugins/backup/tests/restore-test-helpers.ts";
import { listFiles } from "../../plugins/backup/restore/restore-verify.ts";
import { dropRollback, listRollbacks } from "../../plugins/backup/restore/swap.ts";

let env: RestoreEnv;
/** A native backup of acme_staging (46 modules), the source of every test here. */
let backup: string;

beforeAll(async () => {
  env = await restoreEnv("native");
  const src = await liveFixture(env, "acme_staging");
  backup = (await makeNativeBackup(env, src, join(env.filestoreRoot, src), testDir("out"))).dir;
}, 120_000);

describe("native backup restore", () => {
  test("round trip into a new database: counts, modules and files of the source", async () => {
    const t0 = performance.now();
    const res = await restoreToNewDatabase({
      ...env,
      source: backup,
      dbName: "native_new",
      neutralize: false,
    });
    console.log(
      `native restore (streamed pg_restore) of acme_staging: ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
    expect(await env.db("native_new").odooInfo()).toMatchObject({
      partners: 101,
      installedModules: 46,
      storedAttachments: 230,
    });
    expect((await listFiles(env.conn, join(env.filestoreRoot, "native_new"))).size).toBe(93);
    expect(res.check?.problems).toEqual([]);
    expect(await databasesLike(env, "native_new__%")).toEqual([]);
  }, 120_000);

  test("a corrupted part → E_BACKUP_CORRUPT naming it; the live database keeps its name and rows", async () => {
    const bad = join(testDir("corrupt"), "bad.odoodeck");
    cpSync(backup, bad, { recursive: true });
    const f = Bun.file(join(bad, "filestore.tar.zst"));
    const bytes = new Uint8Array(await f.arrayBuffer());
    bytes[Math.floor(bytes.length / 2)] ^= 0xff; // same size, different content
    writeFileSync(join(bad, "filestore.tar.zst"), bytes);
    const live = await liveFixture(env, "acme_prod");
    const before = await env.db(live).odooInfo();
    const temp = restoreToTemp({ ...env, source: bad, dbName: live });
    const err = await codeOf(temp);
    expect(err.code).toBe("E_BACKUP_CORRUPT");
    expect(err.message).toContain("filestore.tar.zst");
    expect(await env.db(live).odooInfo()).toEqual(before);
    expect(await databasesLike(env, `${live}%`)).toEqual([live]);
    expect(readdirSync(env.filestoreRoot).filter((n) => n.startsWith(live))).toEqual([live]);
  }, 120_000);

  test("a missing manifest → E_BACKUP_CORRUPT", async () => {
    const bad = join(testDir("noman"), "x.odoodeck");
    cpSync(backup, bad, { recursive: true });
    Bun.spawnSync(["rm", join(bad, "manifest.json")]);
    expect((await codeOf(restoreToTemp({ ...env, source: bad, dbName: "whatever" }))).code).toBe(
      "E_BACKUP_CORRUPT",
    );
  });

  test("a dump from a newer pg_dump is refused up front with E_PG_VERSION", async () => {
    const newer = join(testDir("newer"), "n.odoodeck");
    cpSync(backup, newer, { recursive: true });
    const m = JSON.parse(await Bun.file(join(newer, "manifest.json")).text());
    m.postgres.pgDumpVersion = "99.1";
    writeFileSync(join(newer, "manifest.json"), JSON.stringify(m));
    const err = await codeOf(restoreToTemp({ ...env, source: newer, dbName: "newer" }));
    expect(err.code).toBe("E_PG_VERSION");
    expect(await databasesLike(env, "newer%")).toEqual([]);
  });

  test("safe swap: the instance serves the restored data, the old copy is kept as <db>__rollback_*", async () => {
    const live = await liveFixture(env, "acme_prod"); // 39 modules; the backup has 46
    await env.db(live).query("UPDATE res_partner SET name = 'LIVE MARKER' WHERE id = 1");
    const temp = await restoreToTemp({ ...env, source: backup, dbName: live });
    const res = await finishRestore(temp, { neutralize: false, promote: { kind: "swap", currentDb: live } });
    expect((await env.db(live).odooInfo()).installedModules).toBe(46);
    expect(res.swap?.rollbackDb).toMatch(new RegExp(`^${live}__rollback_\\d{14}$`));
    const rb = res.swap!.rollbackDb!;
    expect(await env.db(rb).scalar("SELECT name FROM res_partner WHERE id = 1")).toBe("LIVE MARKER");
    expect((await listFiles(env.conn, join(env.filestoreRoot, live))).size).toBe(93);
    expect((await listFiles(env.conn, join(env.filestoreRoot, rb))).size).toBe(91);
    expect(await listRollbacks(env.conn, env.pg, env.filestoreRoot, live)).toEqual([
      { name: rb, database: true, filestore: true },
    ]);
    await dropRollback(env.conn, env.pg, env.filestoreRoot, rb);
    expect(await listRollbacks(env.conn, env.pg, env.filestoreRoot, live)).toEqual([]);
    expect(existsSync(join(env.filestoreRoot, rb))).toBe(false);
  }, 120_000);
});

describe("native restore over SSH when the link drops", () => {
  test("sshd killed mid-restore: the restore fails with a connection error, the live database and filestore are untouched, no temporary copy is left", async () => {
    const { getSshd } = await import("../helpers/sshd.ts");
    const { SshConnection } = await import("../../server/connections/ssh.ts");
    const s = await getSshd();
    const conn = new SshConnection({
      host: s.host,
      port: s.port,
      username: s.username,
      privateKey: s.privateKey,
    });
    try {
      const live = await liveFixture(env, "acme_prod");
      const before = await env.db(live).odooInfo();
      const filesBefore = (await listFiles(env.conn, join(env.filestoreRoot, live))).size;
      let killed: Promise<void> | null = null;
      const err = await codeOf(
        restoreToTemp({
          ...env,
          conn,
          source: backup,
          dbName: live,
          progress: (p) => {
            if (!killed && p.phase === "restore" && (p.bytesDone ?? 0) > 0) killed = s.restart();
          },
        }),
      );
      expect(killed).not.toBeNull();
      await killed;
      expect(err.code).toMatch(/^E_(CONNECTION_LOST|COMMAND_FAILED|UNREACHABLE)$/);
      expect(await env.db(live).odooInfo()).toEqual(before);
      expect((await listFiles(env.conn, join(env.filestoreRoot, live))).size).toBe(filesBefore);
      // the temporary database and filestore were cleaned up once the link was back
      expect(await databasesLike(env, `${live}__restore_%`)).toEqual([]);
      expect(readdirSync(env.filestoreRoot).filter((n) => n.includes(`${live}__restore_`))).toEqual([]);
    } finally {
      await conn.close();
    }
  }, 120_000);
});
