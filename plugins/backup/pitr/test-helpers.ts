/**
 * Test helpers for continuous WAL: a workspace the cluster user can reach, a streamed archive of a
 * private cluster (a table of ticks, pg_receivewal through a slot, a first base backup), waiting
 * until the receiver has what the server wrote, an age key, and restoring a recovered dump to
 * count its rows. Every test of pitr/ and tests/integration/pitr-* sets up the same way.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getSshd, SshConnection, type TestPg } from "../../../server/sdk/testing.ts";
import { ServerDestination } from "../destinations/server.ts";
import { EncryptedDestination } from "../encryption/encrypted-destination.ts";
import { type BaseBackup, takeBaseBackup } from "./base-backup.ts";
import { WalReceiver } from "./receiver.ts";
import { clusterDir } from "./tools.ts";

/** Resolves once the slot's receiver has written everything the server had written when called. */
export async function waitForArchive(
  pg: TestPg,
  slot: string,
  timeoutMs = 20_000,
  o: { switchWal?: boolean } = {},
): Promise<void> {
  // asynchronous commit: the WAL writer flushes within a few hundred ms; force it now (unless the
  // test is about a quiet server whose current segment stays open)
  // Without a switch the target is the insert position: the test cluster commits asynchronously,
  // so the flush position may not hold the last commit yet (the WAL writer flushes it shortly).
  const quiet = o.switchWal === false;
  if (!quiet) await pg.psql("postgres", "SELECT pg_switch_wal()");
  const lsn = (await pg.psql("postgres", `SELECT pg_current_wal_${quiet ? "insert" : "flush"}_lsn()`)).trim();
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = (
      await pg.psql(
        "postgres",
        `SELECT coalesce(r.write_lsn >= '${lsn}', false) FROM pg_replication_slots s
           LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = '${slot}'`,
      )
    ).trim();
    if (ok === "t") return;
    await Bun.sleep(100);
  }
  throw new Error(`the archive did not reach ${lsn} in ${timeoutMs} ms`);
}

/** Polls `f` every 100 ms until it answers something truthy; fails naming `what` after `ms`. */
export async function until<T>(
  what: string,
  f: () => Promise<T | null | undefined | false>,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** A temporary folder the cluster user (postgres) can pass through, and what to undo at the end. */
export function pitrWorkspace(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(root, 0o711); // the archive's parents must let the cluster user (postgres) through
  const cleanups: Array<() => Promise<unknown>> = [];
  return {
    root,
    cleanups,
    /** For afterAll: undoes in reverse order, then removes the folder. */
    async dispose() {
      for (const c of cleanups.reverse()) await c().catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface StreamedArchive {
  target: { host: string; port: number; user: string; password: string };
  db: string;
  slot: string;
  archiveDir: string;
  walDir: string;
  rx: WalReceiver;
  base: BaseBackup;
  /** Inserts ticks `from`..`to`, `gapMs` apart (distinct commit instants). */
  tick(from: number, to: number, gapMs?: number): Promise<void>;
  /** The commit instant of tick `id`, on the server's clock. */
  atOf(id: number): Promise<Date>;
}

/**
 * A database with a `ticks` table on `pg`, streamed by pg_receivewal into `<root>/<name>/wal`,
 * with a first base backup taken. Undone through `cleanups` (receiver, slot, database).
 */
export async function streamedArchive(
  pg: TestPg,
  ws: { root: string; cleanups: Array<() => Promise<unknown>> },
  name: string,
): Promise<StreamedArchive> {
  const target = { host: pg.host, port: pg.port, user: pg.user, password: pg.password };
  const db = `${name}_src_${process.pid}`;
  const slot = `odoodeck_${name}_${process.pid}`;
  await pg.createDb(db);
  ws.cleanups.push(() => pg.dropDb(db));
  await pg.psql(
    db,
    "CREATE TABLE ticks (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())",
  );
  const archiveDir = join(ws.root, name);
  const walDir = join(archiveDir, "wal");
  await clusterDir(archiveDir);
  await clusterDir(walDir);
  const rx = new WalReceiver({ pg: target, walDir, slot });
  await rx.start();
  ws.cleanups.push(() => pg.psql("postgres", `SELECT pg_drop_replication_slot('${slot}')`));
  ws.cleanups.push(() => rx.stop());
  const base = await takeBaseBackup(archiveDir, target);
  return {
    target,
    db,
    slot,
    archiveDir,
    walDir,
    rx,
    base,
    async tick(from, to, gapMs = 150) {
      for (let i = from; i <= to; i++) {
        await pg.psql(db, `INSERT INTO ticks (id) VALUES (${i})`);
        await Bun.sleep(gapMs);
      }
    },
    atOf: async (id) => new Date((await pg.psql(db, `SELECT at FROM ticks WHERE id = ${id}`)).trim()),
  };
}

/**
 * An age-encrypted server destination: a folder `<root>/server` reached over the test sshd, as an
 * instance's server is. The SSH link is closed through `cleanups`.
 */
export async function sshServerDestination(
  ws: { root: string; cleanups: Array<() => Promise<unknown>> },
  label: string,
): Promise<{ dest: EncryptedDestination; serverDir: string }> {
  const sshd = await getSshd();
  const conn = new SshConnection({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.privateKey,
  });
  ws.cleanups.push(() => conn.close());
  const serverDir = join(ws.root, "server");
  return {
    dest: new EncryptedDestination(new ServerDestination(conn, serverDir, label), ageKey()),
    serverDir,
  };
}

/** An age identity and its recipient, as `age-keygen` makes them. */
export function ageKey() {
  const p = Bun.spawnSync(["age-keygen"]);
  const text = p.stdout.toString();
  const identity = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
  const recipient = /public key: (age1\S+)/.exec(text + p.stderr.toString())![1]!;
  return { identity, recipient };
}

/** Restores a recovered dump into a new database and answers "count|max" of its ticks. */
export async function restoredTicks(
  pg: TestPg,
  ws: { cleanups: Array<() => Promise<unknown>> },
  dump: string,
  name: string,
): Promise<string> {
  const restored = `${name}_dst_${process.pid}`;
  await pg.createDb(restored);
  ws.cleanups.push(() => pg.dropDb(restored));
  const r = Bun.spawnSync(
    ["pg_restore", "-h", pg.host, "-p", String(pg.port), "-U", pg.user, "-d", restored, dump],
    { env: { ...process.env, PGPASSWORD: pg.password } },
  );
  if (r.exitCode !== 0) throw new Error(`pg_restore exited ${r.exitCode}: ${r.stderr.toString()}`);
  return (await pg.psql(restored, "SELECT count(*), max(id) FROM ticks")).trim();
}
