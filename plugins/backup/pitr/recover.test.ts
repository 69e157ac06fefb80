/**
 * Continuous WAL against the real test cluster: pg_receivewal through a slot, a base backup, a
 * writer committing a row every 200 ms, then recovery to an instant between two commits in a
 * scratch cluster. The recovered database holds exactly the rows committed up to that instant,
 * from a zstd base backup (today's) and from a gzip one (older archives).
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { privatePg, type TestPg } from "../../../server/sdk/testing.ts";
import { type BaseBackup, listBaseBackups, takeBaseBackup } from "./base-backup.ts";
import { recoverDatabase, socketFolder } from "./recover.ts";
import { pitrWorkspace, restoredTicks, streamedArchive, waitForArchive } from "./test-helpers.ts";

// Its own cluster: a base backup of the shared one would copy every database the run restored.
let cluster: Promise<TestPg> | null = null;
const getPg = () => (cluster ??= privatePg());

const ws = pitrWorkspace("odoodeck-pitr-test-");
afterAll(() => ws.dispose(), 60_000);

/**
 * One archive, two base backups taken before the writes: one as base backups are made now (zstd:
 * base.tar.zst + pg_wal.tar), one in the layout of archives made before that (gzip: base.tar.gz +
 * pg_wal.tar.gz, no compression in its metadata). Both must recover to the same instant.
 */
let setupP: ReturnType<typeof doSetup> | null = null;
const setup = () => (setupP ??= doSetup());
async function doSetup() {
  const pg = await getPg();
  const a = await streamedArchive(pg, ws, "pitr");
  // a second base backup the next second (its folder is named by the second)
  await Bun.sleep(1100);
  const gzipBase = await takeBaseBackup(a.archiveDir, a.target, { compression: "gzip" });
  // as an archive written before zstd has it: no compression field in odoodeck-base.json
  const metaFile = join(gzipBase.dir, "odoodeck-base.json");
  const { compression: _, ...oldMeta } = JSON.parse(readFileSync(metaFile, "utf8"));
  writeFileSync(metaFile, JSON.stringify(oldMeta, null, 2));
  await a.tick(1, 20, 200);
  await waitForArchive(pg, a.slot);
  // Halfway between the commits of rows 12 and 13: row 12 is in, row 13 is not.
  const T = new Date(((await a.atOf(12)).getTime() + (await a.atOf(13)).getTime()) / 2);
  return { pg, a, zstdBase: a.base, gzipBase, T };
}

async function recoverAndCount(base: BaseBackup, label: string): Promise<string> {
  const { pg, a, T } = await setup();
  const out = join(ws.root, `${label}.dump`);
  await recoverDatabase({ base, walDir: a.walDir, target: T, dbName: a.db, user: pg.user, outFile: out });
  return restoredTicks(pg, ws, out, `pitr_${label}`);
}

test("recovering to T between two commits gives exactly the rows committed up to T", async () => {
  const { zstdBase, a } = await setup();
  // base backups are zstd now: the data tar compressed, its WAL tar plain (PostgreSQL 15)
  expect(readdirSync(zstdBase.dir).sort()).toEqual([
    "backup_manifest",
    "base.tar.zst",
    "odoodeck-base.json",
    "pg_wal.tar",
  ]);
  expect((await listBaseBackups(a.archiveDir))[0]?.compression).toBe("zstd");
  expect(await recoverAndCount(zstdBase, "zstd")).toBe("12|12");
  expect(a.rx.status().state).toBe("running");
}, 120_000);

test("a gzip base backup of an older archive (base.tar.gz + pg_wal.tar.gz) still recovers to T", async () => {
  const { gzipBase, a } = await setup();
  expect(readdirSync(gzipBase.dir).sort()).toEqual([
    "backup_manifest",
    "base.tar.gz",
    "odoodeck-base.json",
    "pg_wal.tar.gz",
  ]);
  expect((await listBaseBackups(a.archiveDir))[1]?.compression).toBeUndefined();
  expect(await recoverAndCount(gzipBase, "gzip")).toBe("12|12");
}, 120_000);

test("a scratch folder too deep for a Unix socket path gets its socket in a short folder of its own", async () => {
  expect(await socketFolder("/var/lib/postgresql/15/.odoodeck-rewind-a1b2c3")).toBe(
    "/var/lib/postgresql/15/.odoodeck-rewind-a1b2c3/sock",
  );
  // a shard's temp folder, a test cluster's folder, the rewind's scratch beside its data directory
  const deep =
    "/tmp/odoodeck-shards-p83J4x/shard-3/odoodeck-testrun-KJzsrm/odoodeck-pg-YeIOya/.odoodeck-rewind-a1b2c3";
  const sock = await socketFolder(deep);
  try {
    expect(sock.startsWith(deep)).toBe(false);
    expect(`${sock}/.s.PGSQL.65535`.length).toBeLessThanOrEqual(107);
    expect(existsSync(sock)).toBe(true);
  } finally {
    rmSync(sock, { recursive: true, force: true });
  }
});
