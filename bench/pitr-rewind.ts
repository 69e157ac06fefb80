/**
 * Whole-cluster rewind vs one-database restore to a point in time (not part of `npm test`), with
 * the product's own functions on the test cluster of this process (the rewind really replaces its
 * data directory): for each size, a database of N MB with a secondary index, a base backup, a
 * tenth of the rows rewritten after it (WAL to replay), three ticks around T, then
 *   - the one-database path as a restore runs it: recoverCluster into a temp folder, then
 *     streamedDump → pgRestoreStream into a new database (restore-op.ts);
 *   - the cluster rewind as rewind-op.ts runs it: inspectLiveCluster, recoverCluster beside the
 *     live data directory, a clean stop, swapClusterIn (pg_controldata check, initdb --sync-only,
 *     stop, renames, the live configuration, start, answer) — and the ticks checked after.
 * Then 100 GB, linear from the largest size, and bounded below by this disk's durable write rate
 * (PERF-BASELINES: about 300 MB/s; --disk-mbs to change): the rewound cluster must reach the disk
 * once, whatever the page cache absorbed at the sizes measured.
 *
 * Run: node_modules/.bin/bun bench/pitr-rewind.ts [--sizes 1024,2048,4096] [--disk-mbs 300]
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { defaultCompression, takeBaseBackup } from "../plugins/backup/pitr/base-backup.ts";
import { inspectLiveCluster, swapClusterIn } from "../plugins/backup/pitr/cluster-rewind.ts";
import { recoverCluster } from "../plugins/backup/pitr/recover.ts";
import { WalReceiver } from "../plugins/backup/pitr/receiver.ts";
import { streamedDump } from "../plugins/backup/pitr/stream-dump.ts";
import { waitForArchive } from "../plugins/backup/pitr/test-helpers.ts";
import { clusterDir } from "../plugins/backup/pitr/tools.ts";
import { pgRestoreStream } from "../plugins/backup/restore/restore-pg.ts";
import { LocalConnection } from "../server/connections/local.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { privatePg, type TestPg } from "../tests/helpers/pg.ts";

const argv = process.argv;
const opt = (n: string, d: string) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1]! : d);
const SIZES = opt("sizes", "512,1024").split(",").map(Number).filter(Boolean);
const DISK_MBS = Number(opt("disk-mbs", "300"));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");
const sec = (t0: number) => (performance.now() - t0) / 1000;
const root = mkdtempSync(join(tmpdir(), "odoodeck-bench-rewind-"));
chmodSync(root, 0o711);

async function oneSize(pg: TestPg, mb: number) {
  const target = { host: pg.host, port: pg.port, user: pg.user, password: pg.password };
  const db = "bench_rewind";
  await pg.dropDb(db);
  await pg.createDb(db);
  await pg.psql(
    db,
    `CREATE TABLE m (id serial PRIMARY KEY, body text);
     INSERT INTO m (body) SELECT repeat(md5(g::text) || ' your order ' || g || ' shipped. ', 14) FROM generate_series(1, ${mb * 1024}) g;
     CREATE INDEX m_ref ON m (left(body, 32));
     CREATE TABLE tick (id int, at timestamptz DEFAULT clock_timestamp());
     CHECKPOINT;`,
  );
  const size = Number((await pg.psql(db, `SELECT pg_database_size('${db}')`)).trim());
  const dir = join(root, `a${mb}`);
  const walDir = join(dir, "wal");
  await clusterDir(dir);
  await clusterDir(walDir);
  const slot = `bench_rewind_${mb}`;
  const rx = new WalReceiver({ pg: target, walDir, slot });
  await rx.start();
  const base = await takeBaseBackup(dir, target, { compression: defaultCompression() });
  const lsn0 = (await pg.psql("postgres", "SELECT pg_current_wal_lsn()")).trim();
  await pg.psql(db, "UPDATE m SET body = body || '.' WHERE id % 10 = 0");
  const wal = Number((await pg.psql("postgres", `SELECT pg_current_wal_lsn() - '${lsn0}'::pg_lsn`)).trim());
  for (let i = 1; i <= 6; i++) {
    await pg.psql(db, `SET synchronous_commit = on; INSERT INTO tick (id) VALUES (${i})`);
    await Bun.sleep(300);
  }
  const T = new Date((await pg.psql(db, "SELECT at FROM tick WHERE id = 3")).trim());
  T.setMilliseconds(T.getMilliseconds() + 150);
  await waitForArchive(pg, slot, 120_000);
  await rx.stop();
  await pg.psql("postgres", `SELECT pg_drop_replication_slot('${slot}')`);

  // the one-database path (restore-op.ts): scratch recovery, then the stream into a new database
  let t = performance.now();
  const c1 = await recoverCluster({ base, walDir, target: T, user: pg.user });
  const oneRecover = sec(t);
  t = performance.now();
  await pg.createDb(`${db}_copy`);
  await pgRestoreStream(new LocalConnection(), (await streamedDump(c1, db)).producer, {
    pg: target,
    dbName: `${db}_copy`,
  });
  const oneStream = sec(t);
  await c1.close();
  const oneTicks = (await pg.psql(`${db}_copy`, "SELECT count(*) FROM tick")).trim();
  await pg.dropDb(`${db}_copy`);

  // the rewind (rewind-op.ts): beside the live data directory, then swapped in
  const live = await inspectLiveCluster({ pg: target, dbName: db, systemId: null });
  t = performance.now();
  const c2 = await recoverCluster({ base, walDir, target: T, user: pg.user, scratchIn: live.parent });
  const recover = sec(t);
  t = performance.now();
  await c2.stop();
  const stop = sec(t);
  const marks: Array<[string, number]> = [];
  t = performance.now();
  const swapped = await swapClusterIn({
    live,
    recovered: c2.dataDir,
    discardAs: join(c2.dataDir, "..", "failed-data"),
    stamp: `${mb}`,
    pg: target,
    dbName: db,
    conn: new LocalConnection(),
    service: null,
    log: (line) => marks.push([line, performance.now()]),
  });
  const swap = sec(t);
  await c2.close();
  const at = (prefix: string) => marks.find(([l]) => l.startsWith(prefix))?.[1] ?? Number.NaN;
  const sync = (at("Stopping PostgreSQL") - at("Writing the recovered cluster")) / 1000; // initdb --sync-only
  const ticks = (await pg.psql(db, "SELECT count(*) FROM tick")).trim();
  rmSync(swapped.keptDataDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  return {
    mb,
    size,
    wal,
    one: { recover: oneRecover, stream: oneStream, ticks: oneTicks },
    rewind: {
      unpack: c2.unpackSeconds,
      replay: c2.replaySeconds,
      recover,
      stop,
      sync,
      downtime: swapped.downtimeSeconds,
      total: recover + stop + swap,
      ticks,
    },
  };
}

async function main() {
  console.log(`load average at start: ${load()} (${navigator.hardwareConcurrency} cores)`);
  const pg = await privatePg();
  const rows = [];
  for (const mb of SIZES) {
    console.error(`size ${mb} MB …`);
    const r = await oneSize(pg, mb);
    console.error(`  ${JSON.stringify(r)}`);
    rows.push(r);
  }
  const MB = 1048576;
  console.log(`load average at end: ${load()}\n`);
  console.log(
    "| db MB | WAL MB | one database: recover + stream s | rewind: unpack + replay s | stop s | sync s | downtime s | rewind total s | ticks ≤ T (one / rewind) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${(r.size / MB).toFixed(0)} | ${(r.wal / MB).toFixed(0)} | ${r.one.recover.toFixed(1)} + ${r.one.stream.toFixed(1)} = ${(r.one.recover + r.one.stream).toFixed(1)} | ${r.rewind.unpack.toFixed(1)} + ${r.rewind.replay.toFixed(1)} | ${r.rewind.stop.toFixed(1)} | ${r.rewind.sync.toFixed(1)} | ${r.rewind.downtime.toFixed(1)} | **${r.rewind.total.toFixed(1)}** | ${r.one.ticks} / ${r.rewind.ticks} |`,
    );
  const big = rows.at(-1);
  if (!big) return;
  const G = 102400;
  const db = big.size / MB;
  const k = G / db;
  const linear = big.rewind.total * k;
  const unpackSync = (big.rewind.unpack + big.rewind.sync) * k;
  const diskFloor = G / DISK_MBS; // the cluster written durably once
  const bounded =
    Math.max(unpackSync, diskFloor) + (big.rewind.replay + big.rewind.stop + big.rewind.downtime) * k;
  const min = (s: number) => `${(s / 60).toFixed(1)} min`;
  console.log(`
100 GB, from the ${db.toFixed(0)} MB run (×${k.toFixed(1)}):
  rewind, linear: ${big.rewind.total.toFixed(1)} s × ${k.toFixed(1)} = ${min(linear)}
  rewind, the unpack and sync bounded by the disk (${DISK_MBS} MB/s durable): max(${unpackSync.toFixed(0)} s, ${G} / ${DISK_MBS} = ${diskFloor.toFixed(0)} s) + replay, stop and downtime ${((big.rewind.replay + big.rewind.stop + big.rewind.downtime) * k).toFixed(0)} s = ${min(bounded)}
  one database, linear: ${(big.one.recover + big.one.stream).toFixed(1)} s × ${k.toFixed(1)} = ${min((big.one.recover + big.one.stream) * k)}`);
}

try {
  await main();
} finally {
  await runCleanups();
  rmSync(root, { recursive: true, force: true });
}
