/**
 * Continuous WAL against the real test cluster: pg_receivewal through a slot, a base backup, a
 * writer committing a row every 200 ms, then recovery to an instant between two commits in a
 * scratch cluster. The recovered database holds exactly the rows committed up to that instant,
 * from a zstd base backup (today's) and from a gzip one (older archives).
 */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privatePg, type TestPg } from "../../../server/sdk/testing.ts";

// Its own cluster: a base backup of the shared one would copy every database the run restored.
let cluster: Promise<TestPg> | null = null;
const getPg = () => (cluster ??= privatePg());
import { type BaseBackup, listBaseBackups, takeBaseBackup } from "./base-backup.ts";
import { recoverDatabase } from "./recover.ts";
import { WalReceiver } from "./receiver.ts";
import { clusterDir } from "./tools.ts";
import { waitForArchive } from "./test-helpers.ts";

const root = mkdtempSync(join(tmpdir(), "odoodeck-pitr-test-"));
chmodSync(root, 0o711); // the archive's parents must let the cluster user (postgres) through
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(root, { recursive: true, force: true });
}, 60_000);

/**
 * One archive, two base backups taken before the writes: one as base backups are made now (zstd:
 * base.tar.zst + pg_wal.tar), one in the layout of archives made before that (gzip: base.tar.gz +
 * pg_wal.tar.gz, no compression in its metadata). Both must recover to the same instant.
 */
let setupP: ReturnType<typeof doSetup> | null = null;
const setup = () => (setupP ??= doSetup());
async function doSetup() {
  const pg = await getPg();
  const target = { host: pg.host, port: pg.port, user: pg.user, password: pg.password };
  const db = `pitr_src_${process.pid}`;
  const slot = `odoodeck_test_${process.pid}`;
  await pg.createDb(db);
  cleanups.push(() => pg.dropDb(db));
  await pg.psql(
    db,
    "CREATE TABLE ticks (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())",
  );
  const archive = join(root, "a1");
  const walDir = join(archive, "wal");
  await clusterDir(archive);
  await clusterDir(walDir);
  const rx = new WalReceiver({ pg: target, walDir, slot });
  await rx.start();
  cleanups.push(() => pg.psql("postgres", `SELECT pg_drop_replication_slot('${slot}')`));
  cleanups.push(() => rx.stop());
  const zstdBase = await takeBaseBackup(archive, target, { compression: "zstd" });
  // a second base backup the next second (its folder is named by the second)
  await Bun.sleep(1100);
  const gzipBase = await takeBaseBackup(archive, target, { compression: "gzip" });
  // as an archive written before zstd has it: no compression field in odoodeck-base.json
  const metaFile = join(gzipBase.dir, "odoodeck-base.json");
  const { compression: _, ...oldMeta } = JSON.parse(readFileSync(metaFile, "utf8"));
  writeFileSync(metaFile, JSON.stringify(oldMeta, null, 2));
  for (let i = 1; i <= 20; i++) {
    await pg.psql(db, `INSERT INTO ticks (id) VALUES (${i})`);
    await Bun.sleep(200);
  }
  await waitForArchive(pg, slot);
  const atOf = async (id: number) =>
    new Date((await pg.psql(db, `SELECT at FROM ticks WHERE id = ${id}`)).trim());
  // Halfway between the commits of rows 12 and 13: row 12 is in, row 13 is not.
  const t12 = await atOf(12);
  const t13 = await atOf(13);
  const T = new Date((t12.getTime() + t13.getTime()) / 2);
  return { pg, db, walDir, rx, zstdBase, gzipBase, T };
}

async function recoverAndCount(base: BaseBackup, label: string): Promise<string> {
  const { pg, db, walDir, T } = await setup();
  const out = join(root, `${label}.dump`);
  await recoverDatabase({ base, walDir, target: T, dbName: db, user: pg.user, outFile: out });
  const restored = `pitr_dst_${label}_${process.pid}`;
  await pg.createDb(restored);
  cleanups.push(() => pg.dropDb(restored));
  const r = Bun.spawnSync(
    ["pg_restore", "-h", pg.host, "-p", String(pg.port), "-U", pg.user, "-d", restored, out],
    {
      env: { ...process.env, PGPASSWORD: pg.password },
    },
  );
  expect(r.exitCode).toBe(0);
  return (await pg.psql(restored, "SELECT count(*), max(id) FROM ticks")).trim();
}

test("recovering to T between two commits gives exactly the rows committed up to T", async () => {
  const { zstdBase, rx } = await setup();
  // base backups are zstd now: the data tar compressed, its WAL tar plain (PostgreSQL 15)
  expect(readdirSync(zstdBase.dir).sort()).toEqual([
    "backup_manifest",
    "base.tar.zst",
    "odoodeck-base.json",
    "pg_wal.tar",
  ]);
  expect((await listBaseBackups(join(root, "a1")))[0]?.compression).toBe("zstd");
  expect(await recoverAndCount(zstdBase, "zstd")).toBe("12|12");
  expect(rx.status().state).toBe("running");
}, 120_000);

test("a gzip base backup of an older archive (base.tar.gz + pg_wal.tar.gz) still recovers to T", async () => {
  const { gzipBase } = await setup();
  expect(readdirSync(gzipBase.dir).sort()).toEqual([
    "backup_manifest",
    "base.tar.gz",
    "odoodeck-base.json",
    "pg_wal.tar.gz",
  ]);
  expect((await listBaseBackups(join(root, "a1")))[1]?.compression).toBeUndefined();
  expect(await recoverAndCount(gzipBase, "gzip")).toBe("12|12");
}, 120_000);
