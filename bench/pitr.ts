/**
 * Continuous WAL benchmark (not part of `npm test`), on the test cluster:
 *   1. RPO under write load: a writer commits a row every second (synchronous_commit on);
 *      pg_receivewal streams; at a random instant the "disaster" happens (the writer stops and
 *      recovery starts from what the archive holds at that instant: a copy of the WAL folder).
 *      RPO = newest commit made − newest commit recovered.
 *   2. Point-in-time restore of a database of N MB to a timestamp: the scratch cluster recovered
 *      once (unpack + replay: a tenth of the rows rewritten after the base backup), then the one
 *      database taken out of it into a fresh database by each path, in interleaved rounds, with
 *      the product's own functions: the file path of before (recover.ts's pg_dump -Fc -Z0 to a
 *      file, then pgRestoreFile: one pg_restore job reading it as stdin), the stream of now
 *      (streamedDump → pgRestoreStream: pg_dump piped into pg_restore, no file), the stream with
 *      pg_restore session settings one at a time, and the directory-format alternative for a
 *      local target (pg_dump -Fd -jN into a folder, then pg_restore -jN, N = cores). Beside them
 *      today's dump restore of the same database (pg_restore -j2 of a pg_dump -Fc). Then the
 *      100 GB estimate per path from the throughputs at the largest size. The filestore half is
 *      the same tar extraction in every path, so it is not repeated here.
 *
 * Run: node_modules/.bin/bun bench/pitr.ts [--sizes 1024,2048,4096] [--rpo-seconds 30] [--rounds 3]
 *        [--compression zstd|gzip] (base backups: gzip is the older archives' format) [--no-rpo]
 *   or: node_modules/.bin/bun bench/pitr.ts --replay-variants [--sizes 1024]: the scratch cluster's
 *        replay time for the same base backup and WAL under each set of settings (old, today's,
 *        and one change at a time), interleaved; the database dumped is the empty "postgres".
 * (disk: about 5× the largest size at once; `df` first)
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import {
  type BaseCompression,
  defaultCompression,
  takeBaseBackup,
} from "../plugins/backup/pitr/base-backup.ts";
import {
  dumpToFile,
  recoverCluster,
  recoverDatabase,
  replaySettings,
} from "../plugins/backup/pitr/recover.ts";
import { streamedDump } from "../plugins/backup/pitr/stream-dump.ts";
import { waitForArchive } from "../plugins/backup/pitr/test-helpers.ts";
import { WalReceiver } from "../plugins/backup/pitr/receiver.ts";
import { asClusterUser, clusterDir } from "../plugins/backup/pitr/tools.ts";
import { pgRestoreFile, pgRestoreStream } from "../plugins/backup/restore/restore-pg.ts";
import { LocalConnection } from "../server/connections/local.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { getPg, type TestPg } from "../tests/helpers/pg.ts";

const argv = process.argv;
const opt = (n: string, d: string) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1]! : d);
const SIZES = opt("sizes", "256,512,1024").split(",").map(Number).filter(Boolean);
const ROUNDS = Number(opt("rounds", "1"));
const RPO_SECONDS = Number(opt("rpo-seconds", "30"));
const COMPRESSION = opt("compression", defaultCompression()) as BaseCompression;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(", ");

const root = mkdtempSync(join(tmpdir(), "odoodeck-bench-pitr-"));
chmodSync(root, 0o711);
const sec = (t0: number) => (performance.now() - t0) / 1000;

async function sh(cmd: string[], pg: TestPg) {
  const p = Bun.spawn(cmd, {
    env: { ...process.env, PGPASSWORD: pg.password },
    stdout: "ignore",
    stderr: "pipe",
  });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd[0]}: ${err}`);
}
interface Path {
  name: string;
  /** Seconds of pg_dump alone (0: overlapped with the restore, a stream). */
  dump: number;
  restore: number;
  ticks: string;
}

/** pg_restore's session settings for the streamed load (PGOPTIONS), one change at a time. */
const STREAM_VARIANTS: Record<string, string[]> = {
  "stream (after)": [],
  "stream + synchronous_commit=off": ["synchronous_commit=off"],
  "stream + maintenance_work_mem=512MB": ["maintenance_work_mem=512MB"],
  "stream + both": ["synchronous_commit=off", "maintenance_work_mem=512MB"],
};

const median = (xs: number[]) => {
  const v = [...xs].sort((x, y) => x - y);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

/** One row per path: the median of its rounds (every round's dump→restore total in `all`). */
function medians(paths: Path[]): (Path & { all: string })[] {
  const names = [...new Set(paths.map((p) => p.name))];
  return names.map((name) => {
    const runs = paths.filter((p) => p.name === name);
    return {
      name,
      dump: median(runs.map((p) => p.dump)),
      restore: median(runs.map((p) => p.restore)),
      ticks: runs.every((p) => p.ticks === "3") ? "3" : runs.map((p) => p.ticks).join(","),
      all: runs.map((p) => (p.dump + p.restore).toFixed(1)).join(", "),
    };
  });
}

const target = (pg: TestPg) => ({ host: pg.host, port: pg.port, user: pg.user, password: pg.password });
const conn = (pg: TestPg) => ["-h", pg.host, "-p", String(pg.port), "-U", pg.user];

async function archive(pg: TestPg, label: string) {
  const target = { host: pg.host, port: pg.port, user: pg.user, password: pg.password };
  const dir = join(root, label);
  const walDir = join(dir, "wal");
  await clusterDir(dir);
  await clusterDir(walDir);
  const slot = `bench_${label}_${process.pid}`;
  const rx = new WalReceiver({ pg: target, walDir, slot });
  await rx.start();
  const stop = async () => {
    await rx.stop();
    await pg.psql("postgres", `SELECT pg_drop_replication_slot('${slot}')`).catch(() => {});
  };
  return { target, dir, walDir, slot, stop };
}

async function rpo(pg: TestPg) {
  const db = `bench_rpo_${process.pid}`;
  await pg.createDb(db);
  await pg.psql(db, "CREATE TABLE w (id int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())");
  const a = await archive(pg, "rpo");
  const base = await takeBaseBackup(a.dir, a.target);
  const disasterAt = 5 + Math.random() * (RPO_SECONDS - 5);
  const t0 = performance.now();
  let i = 0;
  while (sec(t0) < disasterAt) {
    await pg.psql(db, `SET synchronous_commit = on; INSERT INTO w (id) VALUES (${++i})`);
    await Bun.sleep(1000);
  }
  // the disaster: the archive as it is this instant (the server is gone from here on)
  const frozen = join(root, "rpo-frozen");
  await clusterDir(frozen);
  await sh(asClusterUser(["cp", "-a", `${a.walDir}/.`, frozen]), pg); // as the archive's owner
  const made = (await pg.psql(db, "SELECT max(id), max(at) FROM w")).trim().split("|");
  await a.stop();
  const out = join(root, "rpo.dump");
  await recoverDatabase({ base, walDir: frozen, target: "latest", dbName: db, user: pg.user, outFile: out });
  const back = `bench_rpo_back_${process.pid}`;
  await pg.createDb(back);
  await sh(["pg_restore", ...conn(pg), "-d", back, out], pg);
  const got = (await pg.psql(back, "SELECT coalesce(max(id), 0), max(at) FROM w")).trim().split("|");
  const lost = (new Date(made[1]!).getTime() - new Date(got[1]!).getTime()) / 1000;
  console.log(
    `RPO under write load (1 commit/s, disaster at ${disasterAt.toFixed(1)} s): newest made #${made[0]}, newest recovered #${got[0]}, data window lost ${lost.toFixed(1)} s`,
  );
  await pg.dropDb(back);
  await pg.dropDb(db);
}

async function restoreAt(pg: TestPg, mb: number) {
  const db = `bench_pitr_${mb}_${process.pid}`;
  await pg.createDb(db);
  await pg.psql(
    db,
    `CREATE TABLE m (id serial PRIMARY KEY, body text);
     INSERT INTO m (body) SELECT repeat(md5(g::text) || ' your order ' || g || ' shipped. ', 14) FROM generate_series(1, ${mb * 1024}) g;
     -- a secondary index in random order (as Odoo's on names, refs, dates): its rebuild is the
     -- part of a restore that maintenance_work_mem speaks to
     CREATE INDEX m_ref ON m (left(body, 32));
     CREATE TABLE tick (id int, at timestamptz DEFAULT clock_timestamp());`,
  );
  const size = Number((await pg.psql(db, `SELECT pg_database_size('${db}')`)).trim());
  const a = await archive(pg, `s${mb}`);
  let t = performance.now();
  const base = await takeBaseBackup(a.dir, a.target, { compression: COMPRESSION });
  const baseSec = sec(t);
  // The whole cluster is what a scratch recovery unpacks, whatever database is asked for
  const clusterBytes = Number(
    (await pg.psql("postgres", "SELECT sum(pg_database_size(datname)) FROM pg_database")).trim(),
  );
  // A day's writes after the base backup, for the replay to do: a tenth of the rows rewritten
  const lsn0 = (await pg.psql("postgres", "SELECT pg_current_wal_lsn()")).trim();
  await pg.psql(db, "UPDATE m SET body = body || '.' WHERE id % 10 = 0");
  const walBytes = Number(
    (await pg.psql("postgres", `SELECT pg_current_wal_lsn() - '${lsn0}'::pg_lsn`)).trim(),
  );
  for (let i = 1; i <= 6; i++) {
    await pg.psql(db, `SET synchronous_commit = on; INSERT INTO tick (id) VALUES (${i})`);
    await Bun.sleep(300);
  }
  const T = new Date((await pg.psql(db, "SELECT at FROM tick WHERE id = 3")).trim());
  T.setMilliseconds(T.getMilliseconds() + 150);
  await waitForArchive(pg, a.slot, 120_000); // a fixed sleep lost the race under load (a .partial replayed)
  t = performance.now();
  const c = await recoverCluster({ base, walDir: a.walDir, target: T, user: pg.user });
  const recoverSec = sec(t);
  const local = new LocalConnection();
  const ticksIn = async (d: string) => (await pg.psql(d, "SELECT count(*) FROM tick")).trim();
  const paths: Path[] = [];
  try {
    // interleaved rounds: the machine is shared, so each path meets the same load on average
    for (let round = 1; round <= ROUNDS; round++) {
      // before: the product's file path (recoverDatabase's pg_dump to a file, then pgRestoreFile)
      const dump = join(dirname(c.dataDir), "db.dump");
      t = performance.now();
      await dumpToFile(c, db, dump);
      const fileDumpSec = sec(t);
      await pg.createDb(`${db}_file`);
      t = performance.now();
      await pgRestoreFile(local, dump, { pg: target(pg), dbName: `${db}_file` });
      paths.push({
        name: "file (before)",
        dump: fileDumpSec,
        restore: sec(t),
        ticks: await ticksIn(`${db}_file`),
      });
      await pg.dropDb(`${db}_file`);
      rmSync(dump, { force: true });
      // after: the product's stream (streamedDump → pgRestoreStream), with pg_restore session
      // settings one at a time
      for (const [name, settings] of Object.entries(STREAM_VARIANTS)) {
        const into = `${db}_s`;
        await pg.createDb(into);
        const src = await streamedDump(c, db);
        t = performance.now();
        await pgRestoreStream(local, src.producer, { pg: target(pg), dbName: into, settings });
        paths.push({ name, dump: 0, restore: sec(t), ticks: await ticksIn(into) });
        await pg.dropDb(into);
      }
      // the alternative for a local target: directory format, N jobs each way (N = cores)
      const N = String(navigator.hardwareConcurrency);
      const dir = join(dirname(c.dataDir), "dir.dump");
      t = performance.now();
      await sh(c.tool("pg_dump", ["-Fd", "-Z0", "-j", N, "-f", dir, db]), pg);
      const dirDumpSec = sec(t);
      await pg.createDb(`${db}_dir`);
      t = performance.now();
      await sh(["pg_restore", "--no-owner", "--no-acl", ...conn(pg), "-j", N, "-d", `${db}_dir`, dir], pg);
      paths.push({
        name: `-Fd -j${N}, then pg_restore -j${N}`,
        dump: dirDumpSec,
        restore: sec(t),
        ticks: await ticksIn(`${db}_dir`),
      });
      await pg.dropDb(`${db}_dir`);
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await c.close();
  }
  // today's path: a pg_dump -Fc taken beforehand, restored into a fresh database
  const plain = join(root, `plain-${mb}.dump`);
  await sh(["pg_dump", ...conn(pg), "-Fc", "-f", plain, db], pg);
  const into2 = `${db}_dump`;
  t = performance.now();
  await pg.createDb(into2);
  await sh(["pg_restore", ...conn(pg), "-j2", "-d", into2, plain], pg);
  const dumpSec = sec(t);
  await a.stop();
  for (const d of [into2, db]) await pg.dropDb(d);
  rmSync(a.dir, { recursive: true, force: true });
  rmSync(plain, { force: true });
  return { mb, size, clusterBytes, walBytes, base, baseSec, c, recoverSec, paths, dumpSec };
}

/** Replay time per settings set, same base backup and WAL (a tenth of the rows rewritten). */
async function replayVariants(pg: TestPg, mb: number) {
  const db = `bench_replay_${process.pid}`;
  await pg.createDb(db);
  await pg.psql(
    db,
    `CREATE TABLE m (id serial PRIMARY KEY, body text);
     INSERT INTO m (body) SELECT repeat(md5(g::text) || ' your order ' || g || ' shipped. ', 14) FROM generate_series(1, ${mb * 1024}) g;`,
  );
  const a = await archive(pg, `r${mb}`);
  const base = await takeBaseBackup(a.dir, a.target, { compression: COMPRESSION });
  const lsn0 = (await pg.psql("postgres", "SELECT pg_current_wal_lsn()")).trim();
  await pg.psql(db, "UPDATE m SET body = body || '.' WHERE id % 10 = 0");
  const wal =
    Number((await pg.psql("postgres", `SELECT pg_current_wal_lsn() - '${lsn0}'::pg_lsn`)).trim()) / 1048576;
  await pg.psql("postgres", "SELECT pg_switch_wal()");
  await Bun.sleep(3000);
  await a.stop();
  await pg.dropDb(db);
  const old = ["shared_buffers = 128MB", "fsync = off"]; // before issue #20's speed work
  const variants: Record<string, string[]> = {
    "old (128MB, fsync off)": old,
    today: replaySettings(),
    "old + shared_buffers 1/8 of memory": [
      `shared_buffers = ${Math.floor(totalmem() / 8 / 1048576)}MB`,
      "fsync = off",
    ],
    "old + full_page_writes off": [...old, "full_page_writes = off"],
    "old + maintenance_io_concurrency 64": [...old, "maintenance_io_concurrency = 64"],
  };
  for (let round = 1; round <= 2; round++)
    for (const [name, settings] of Object.entries(variants)) {
      const r = await recoverDatabase({
        base,
        walDir: a.walDir,
        target: "latest",
        dbName: "postgres",
        user: pg.user,
        outFile: join(root, "replay.dump"),
        replay: settings,
      });
      console.log(
        `round ${round}, ${name}: unpack ${r.unpackSeconds.toFixed(1)} s, replay ${r.replaySeconds.toFixed(1)} s for ${wal.toFixed(0)} MB of WAL = ${(wal / r.replaySeconds).toFixed(1)} MB/s (load ${load()})`,
      );
    }
  rmSync(a.dir, { recursive: true, force: true });
}

async function main() {
  const pg = await getPg();
  console.log(
    `load average at start: ${load()} (${navigator.hardwareConcurrency} cores); base backups: ${COMPRESSION}`,
  );
  if (argv.includes("--replay-variants")) return await replayVariants(pg, SIZES.at(-1)!);
  if (!argv.includes("--no-rpo")) await rpo(pg);
  const rows = [];
  for (const mb of SIZES) {
    console.error(`size ${mb} MB …`);
    const r = await restoreAt(pg, mb);
    rows.push(r);
    // as it comes: a later size that fails (disk) does not lose the ones measured
    console.error(
      `  ${mb} MB: ${JSON.stringify({ ...r, c: undefined, base: undefined, unpack: r.c.unpackSeconds, replay: r.c.replaySeconds })}`,
    );
  }
  const MB = 1048576;
  console.log(`\nload average at end: ${load()}\n`);
  console.log(
    "| data MB (db / cluster) | base backup s (MB on disk) | unpack s | WAL replayed MB | replay s | dump restore s (today, -j2) |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${(r.size / MB).toFixed(0)} / ${(r.clusterBytes / MB).toFixed(0)} | ${r.baseSec.toFixed(1)} (${(r.base.bytes / MB).toFixed(0)}) | ${r.c.unpackSeconds.toFixed(1)} | ${(r.walBytes / MB).toFixed(0)} | ${r.c.replaySeconds.toFixed(1)} | ${r.dumpSec.toFixed(1)} |`,
    );
  console.log(
    "\n| data MB | out of the scratch cluster into a new database | pg_dump s | pg_restore s | dump→restore s (median) | MB/s of db | each round s | rows ≤ T ok |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows)
    for (const p of medians(r.paths))
      console.log(
        `| ${(r.size / MB).toFixed(0)} | ${p.name} | ${p.dump ? p.dump.toFixed(1) : "(overlapped)"} | ${p.restore.toFixed(1)} | ${(p.dump + p.restore).toFixed(1)} | ${(r.size / MB / (p.dump + p.restore)).toFixed(1)} | ${p.all} | ${p.ticks === "3" ? "yes (3)" : `NO (${p.ticks})`} |`,
      );
  // 100 GB: each stage's throughput at the largest size, carried to 102,400 MB (linear)
  const big = rows.at(-1);
  if (!big) return;
  const db = big.size / MB;
  const cluster = big.clusterBytes / MB;
  const wal = big.walBytes / MB;
  const unpackRate = cluster / big.c.unpackSeconds; // MB of cluster per s
  const replayRate = wal / big.c.replaySeconds; // MB of WAL per s
  const plainRate = db / big.dumpSec;
  const G = 102400;
  const walDay = G * (wal / db); // the same share of rewritten data as in the run
  const physical = G / unpackRate + walDay / replayRate;
  const min = (s: number) => `${(s / 60).toFixed(1)} min`;
  console.log(`
100 GB estimate, linear from the ${db.toFixed(0)} MB run (cluster ${cluster.toFixed(0)} MB, ${wal.toFixed(0)} MB of WAL after the base backup):
  whole-cluster physical path = unpack + replay = ${G} / ${unpackRate.toFixed(1)} + ${walDay.toFixed(0)} / ${replayRate.toFixed(1)} = ${(G / unpackRate).toFixed(0)} s + ${(walDay / replayRate).toFixed(0)} s = ${min(physical)}`);
  for (const p of medians(big.paths)) {
    const out = p.dump
      ? `${G} / ${(db / p.dump).toFixed(1)} (dump) + ${G} / ${(db / p.restore).toFixed(1)} (restore) = ${((G * p.dump) / db).toFixed(0)} s + ${((G * p.restore) / db).toFixed(0)} s`
      : `${G} / ${(db / p.restore).toFixed(1)} (dump and restore overlapped: max(dump, restore)) = ${((G * p.restore) / db).toFixed(0)} s`;
    const total = physical + (G * (p.dump + p.restore)) / db;
    console.log(`  one database, ${p.name}: ${physical.toFixed(0)} s + ${out} = ${min(total)}`);
  }
  console.log(
    `  today's dump restore (pg_restore -j2 of a pg_dump -Fc) = ${G} / ${plainRate.toFixed(1)} = ${min(G / plainRate)}`,
  );
}

try {
  await main();
} finally {
  await runCleanups();
  rmSync(root, { recursive: true, force: true });
}
