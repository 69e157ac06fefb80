/**
 * The one database of a recovered scratch cluster streamed into a temporary database on the target
 * (restoreToTemp with a "pg-stream" source): local target (a pipe between two processes) and SSH
 * target (pg_dump's stdout as the remote pg_restore's stdin). The copy is verified against the
 * source database's counts and modules. When the stream breaks — pg_dump killed with SIGKILL
 * mid-stream, the scratch cluster stopped, the target's pg_restore failing, an extension the
 * target role cannot create — the restore fails with a clear code, the temporary database and
 * folders are gone, the live database is untouched and no pg_dump is left running.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { AppError } from "../../../server/sdk/index.ts";
import {
  getSshd,
  LocalConnection,
  privatePg,
  SshConnection,
  type TestPg,
} from "../../../server/sdk/testing.ts";
import { restoreToTemp, discardTemp, type RestoreTarget } from "../restore/restore.ts";
import { recoverCluster, type ScratchCluster } from "./recover.ts";
import { streamedDump } from "./stream-dump.ts";
import { pitrWorkspace, streamedArchive, waitForArchive } from "./test-helpers.ts";
import { asClusterUser, clusterDir, pgBin, runLocal } from "./tools.ts";

let cluster: Promise<TestPg> | null = null;
const getPg = () => (cluster ??= privatePg());
const ws = pitrWorkspace("odoodeck-pitr-stream-test-");
afterAll(() => ws.dispose(), 60_000);

/** Odoo's tables the checks read, with a few rows: enough for the restored copy to be verified. */
const ODOO_TABLES = `
  CREATE TABLE res_users (id serial PRIMARY KEY, login text);
  CREATE TABLE res_partner (id serial PRIMARY KEY, name text);
  CREATE TABLE ir_attachment (id serial PRIMARY KEY, store_fname text);
  CREATE TABLE ir_module_module (id serial PRIMARY KEY, name text, state text);
  INSERT INTO res_users (login) VALUES ('admin'), ('portal');
  INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 7) g;
  INSERT INTO ir_attachment (store_fname) VALUES (NULL);
  INSERT INTO ir_module_module (name, state) VALUES ('base', 'installed'), ('web', 'installed'), ('sale', 'uninstalled');`;

let setupP: ReturnType<typeof doSetup> | null = null;
const setup = () => (setupP ??= doSetup());
async function doSetup() {
  const pg = await getPg();
  const a = await streamedArchive(pg, ws, "stream");
  await pg.psql(a.db, ODOO_TABLES);
  await a.tick(1, 5, 200);
  await waitForArchive(pg, a.slot);
  const T = new Date(((await a.atOf(3)).getTime() + (await a.atOf(4)).getTime()) / 2);
  const c = await recoverCluster({ base: a.base, walDir: a.walDir, target: T, user: pg.user });
  ws.cleanups.push(() => c.close());
  const filestoreRoot = join(ws.root, "odoo-data", "filestore");
  const target: RestoreTarget = {
    conn: new LocalConnection(),
    pg: { host: pg.host, port: pg.port, user: pg.user, password: pg.password },
    filestoreRoot,
  };
  // the live database the copy would replace: must come through every failure untouched
  await pg.createDb("live_db");
  ws.cleanups.push(() => pg.dropDb("live_db"));
  await pg.psql("live_db", "CREATE TABLE mark (v text); INSERT INTO mark VALUES ('live')");
  return { pg, a, c, target, filestoreRoot };
}

/** A database of about `mb` MB in the scratch cluster: a stream that lasts long enough to break. */
async function bigSource(c: ScratchCluster, name: string, mb: number) {
  await c.psql("postgres", `CREATE DATABASE ${name}`);
  await c.psql(
    name,
    `CREATE TABLE big (id int, body text);
     INSERT INTO big SELECT g, repeat(md5(g::text), 30) FROM generate_series(1, ${mb * 1024}) g`,
  );
}

/** Pids of the pg_dump processes reading from this scratch cluster (by its private socket). */
function pgDumpsOf(c: ScratchCluster): number[] {
  const pids: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (argv[0]?.endsWith("/pg_dump") && argv.includes(c.sock)) pids.push(Number(e));
  }
  return pids;
}

const tempDbs = async (pg: TestPg, db: string) =>
  (await pg.psql("postgres", `SELECT datname FROM pg_database WHERE datname LIKE '${db}__restore_%'`))
    .trim()
    .split("\n")
    .filter(Boolean);

/** What a failed restore must leave: no temporary database or folder, the live one as it was. */
async function expectNothingLeft(pg: TestPg, filestoreRoot: string, c: ScratchCluster) {
  expect(await tempDbs(pg, "live_db")).toEqual([]);
  expect(existsSync(filestoreRoot) ? readdirSync(filestoreRoot) : []).toEqual([]);
  expect((await pg.psql("live_db", "SELECT v FROM mark")).trim()).toBe("live");
  expect(pgDumpsOf(c)).toEqual([]);
}

/** Waits until the temporary database has received `bytes` (the stream is flowing), then runs `act`. */
async function midStream(pg: TestPg, bytes: number, act: () => Promise<void>) {
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    const size = Number(
      (
        await pg.psql(
          "postgres",
          "SELECT coalesce(max(pg_database_size(datname)), 0) FROM pg_database WHERE datname LIKE 'live_db__restore_%'",
        )
      ).trim(),
    );
    if (size > bytes) return act();
    await Bun.sleep(20);
  }
  throw new Error("the stream never got going");
}

describe("streamed point-in-time restore", () => {
  test("local target: the database as of T lands in a temporary database, verified against the source", async () => {
    const { pg, a, c, target } = await setup();
    const src = await streamedDump(c, a.db);
    expect({ modules: src.modules, counts: src.counts }).toEqual({
      modules: ["base", "web"],
      counts: { res_users: 2, res_partner: 7, ir_attachment_stored: 0 },
    });
    const temp = await restoreToTemp({ ...target, source: src, dbName: "live_db" });
    try {
      expect(temp.tempDb).toStartWith("live_db__restore_");
      expect((await pg.psql(temp.tempDb!, "SELECT count(*), max(id) FROM ticks")).trim()).toBe("3|3");
      expect(temp.check?.problems).toEqual([]);
      expect(temp.check?.counts.res_partner).toBe(7);
      expect(temp.check?.modules).toBe(2);
    } finally {
      await discardTemp(temp);
    }
  }, 180_000);

  test("SSH target: pg_dump's stdout is the remote pg_restore's stdin", async () => {
    const { pg, a, c, target } = await setup();
    const sshd = await getSshd();
    const conn = new SshConnection({
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKey: sshd.privateKey,
    });
    try {
      let bytes = 0;
      const temp = await restoreToTemp({
        ...target,
        conn,
        source: await streamedDump(c, a.db),
        dbName: "live_db",
        progress: (p) => {
          if (p.phase === "restore") bytes = p.bytesDone ?? 0;
        },
      });
      try {
        expect((await pg.psql(temp.tempDb!, "SELECT count(*), max(id) FROM ticks")).trim()).toBe("3|3");
        expect(temp.check?.problems).toEqual([]);
        expect(bytes).toBeGreaterThan(0);
      } finally {
        await discardTemp(temp);
      }
    } finally {
      await conn.close();
    }
  }, 180_000);

  test("pg_dump killed (SIGKILL) mid-stream: E_COMMAND_FAILED naming pg_dump, nothing left", async () => {
    const { pg, c, target, filestoreRoot } = await setup();
    await bigSource(c, "big_kill", 120);
    const src = await streamedDump(c, "big_kill");
    const run = restoreToTemp({ ...target, source: src, dbName: "live_db", verify: false });
    await midStream(pg, 20 * 1048576, async () => {
      const pids = pgDumpsOf(c);
      expect(pids.length).toBe(1);
      process.kill(pids[0]!, "SIGKILL");
    });
    const err = await run.then(
      () => null,
      (e) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect({ code: err.code, message: err.message }).toEqual({
      code: "E_COMMAND_FAILED",
      message: expect.stringMatching(/^pg_dump failed: .*SIGKILL|^pg_dump failed: .*(exit code|signal)/),
    });
    await expectNothingLeft(pg, filestoreRoot, c);
  }, 180_000);

  test("SSH target, pg_dump killed mid-stream: the same clean failure", async () => {
    const { pg, c, target, filestoreRoot } = await setup();
    await bigSource(c, "big_kill_ssh", 120);
    const sshd = await getSshd();
    const conn = new SshConnection({
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKey: sshd.privateKey,
    });
    try {
      const run = restoreToTemp({
        ...target,
        conn,
        source: await streamedDump(c, "big_kill_ssh"),
        dbName: "live_db",
        verify: false,
      });
      await midStream(pg, 20 * 1048576, async () => {
        for (const pid of pgDumpsOf(c)) process.kill(pid, "SIGKILL");
      });
      const err = await run.then(
        () => null,
        (e) => e,
      );
      expect({ code: err?.code, message: err?.message }).toEqual({
        code: "E_COMMAND_FAILED",
        message: expect.stringMatching(/^pg_dump failed: /),
      });
      await expectNothingLeft(pg, filestoreRoot, c);
    } finally {
      await conn.close();
    }
  }, 180_000);

  test("the target's pg_restore fails (a tablespace it does not have): E_COMMAND_FAILED naming pg_restore, nothing left", async () => {
    const { pg, c, target, filestoreRoot } = await setup();
    const ts = join(ws.root, "tablespace");
    await clusterDir(ts);
    await c.psql("postgres", `CREATE TABLESPACE elsewhere LOCATION '${ts}'`);
    await c.psql("postgres", "CREATE DATABASE in_ts");
    await c.psql("in_ts", "CREATE TABLE t (x int) TABLESPACE elsewhere; INSERT INTO t VALUES (1)");
    const err = await restoreToTemp({
      ...target,
      source: await streamedDump(c, "in_ts"),
      dbName: "live_db",
      verify: false,
    }).then(
      () => null,
      (e) => e,
    );
    expect({ code: err?.code, message: err?.message }).toEqual({
      code: "E_COMMAND_FAILED",
      message: expect.stringMatching(/^pg_restore failed: .*tablespace/),
    });
    await expectNothingLeft(pg, filestoreRoot, c);
    await c.psql("postgres", "DROP DATABASE in_ts");
    await c.psql("postgres", "DROP TABLESPACE elsewhere");
  }, 180_000);

  test("an extension the target role cannot create is refused before anything is created", async () => {
    const { pg, c, target, filestoreRoot } = await setup();
    await c.psql("postgres", "CREATE DATABASE with_ext");
    await c.psql("with_ext", "CREATE EXTENSION pg_stat_statements"); // untrusted: superuser only
    const err = await restoreToTemp({
      ...target,
      pg: { ...target.pg, user: pg.odooUser, password: pg.odooPassword },
      source: await streamedDump(c, "with_ext"),
      dbName: "live_db",
      verify: false,
    }).then(
      () => null,
      (e) => e,
    );
    expect({ code: err?.code, message: err?.message }).toEqual({
      code: "E_PERMISSION",
      message: "The restore needs extension(s) this PostgreSQL role cannot create: pg_stat_statements",
    });
    await expectNothingLeft(pg, filestoreRoot, c);
  }, 180_000);

  // Last: it stops the shared scratch cluster
  test("the scratch cluster stopped mid-stream: E_COMMAND_FAILED naming pg_dump, nothing left", async () => {
    const { pg, c, target, filestoreRoot } = await setup();
    await bigSource(c, "big_stop", 120);
    const run = restoreToTemp({
      ...target,
      source: await streamedDump(c, "big_stop"),
      dbName: "live_db",
      verify: false,
    });
    await midStream(pg, 20 * 1048576, async () => {
      await runLocal(asClusterUser([pgBin("pg_ctl"), "-D", c.dataDir, "-m", "immediate", "-w", "stop"]), {
        what: "pg_ctl stop",
      });
    });
    const err = await run.then(
      () => null,
      (e) => e,
    );
    expect({ code: err?.code, message: err?.message }).toEqual({
      code: "E_COMMAND_FAILED",
      message: expect.stringMatching(/^pg_dump failed: /),
    });
    await expectNothingLeft(pg, filestoreRoot, c);
    await c.close();
    expect(existsSync(dirname(c.dataDir))).toBe(false);
  }, 180_000);
});
