/**
 * Point-in-time recovery into a scratch cluster: the base backup is unpacked into a private temp
 * folder, PostgreSQL replays the archived WAL up to `target` and promotes, and the ONE database
 * asked for is dumped (`pg_dump -Fc`) for today's safe restore path. The scratch cluster is
 * stopped and removed afterwards, also on failure or cancel. It listens on a socket in its own
 * folder only (no TCP), with its own minimal configuration: the source's postgresql.conf may not
 * be in the data directory (Debian keeps it in /etc) or may name libraries and paths of another
 * machine.
 *
 * Speed (bench/pitr.ts has the figures): the data tar and its WAL tar are unpacked side by side,
 * zstd ones (base-backup.ts) far faster than the gzip of older archives; the throwaway cluster
 * replays with no fsync, no restartpoint before the end and no autovacuum; the dump is
 * uncompressed (-Z0: zlib inside pg_dump was its bottleneck, the file is a temporary one on this
 * machine) and not fsynced.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AppError } from "../../../server/sdk/index.ts";
import { type BaseBackup, baseArchiveFiles } from "./base-backup.ts";
import { asClusterUser, clusterDir, pgBin, runLocal } from "./tools.ts";

export interface RecoverOptions {
  base: BaseBackup;
  walDir: string;
  /** Recover up to and including commits at this instant; "latest": all the WAL there is. */
  target: Date | "latest";
  /** Database to take out of the recovered cluster. */
  dbName: string;
  /** Role to dump as (exists in the source cluster; the scratch cluster trusts its socket). */
  user: string;
  /** Where the custom-format dump is written (a path on this machine). */
  outFile: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** The scratch cluster's replay settings in place of replaySettings() (bench/pitr.ts compares). */
  replay?: string[];
  /**
   * The folder the scratch folder is made in (default: the system's temp folder). A cluster
   * rewind recovers beside the live data directory, on its filesystem, so the swap is a rename.
   */
  scratchIn?: string;
}

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
const conf = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The restore_command: a closed segment, else the one pg_receivewal is still writing. */
function restoreScript(walDir: string): string {
  return `#!/bin/sh
src=${q(walDir)}
[ -f "$src/$1" ] && exec cp "$src/$1" "$2"
[ -f "$src/$1.partial" ] && exec cp "$src/$1.partial" "$2"
exit 1
`;
}

/**
 * Where the scratch cluster's socket goes: `<scratch>/sock`, unless that path is too long for a
 * Unix socket (107 bytes with `.s.PGSQL.<port>`; PostgreSQL then fails "could not create any
 * Unix-domain sockets") — a rewind's scratch folder sits beside a data directory that may be deep.
 * Then a folder of its own under a short temporary path, removed with the cluster.
 */
export async function socketFolder(scratch: string): Promise<string> {
  const inside = join(scratch, "sock");
  if (`${inside}/.s.PGSQL.65535`.length <= 100) return inside;
  const base = tmpdir().length <= 40 ? tmpdir() : "/tmp";
  return mkdtemp(join(base, "odoodeck-sock-"));
}

/** "2024-05-01 10:15:00.123+00": recovery_target_time takes no ISO "T…Z". */
const pgTime = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "+00");

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/**
 * Where the time went: unpacking the base backup and replaying WAL up to the target (the physical
 * recovery of the whole cluster), then dumping the one database out of it.
 */
export interface RecoverTimings {
  seconds: number;
  unpackSeconds: number;
  replaySeconds: number;
  dumpSeconds: number;
}

/**
 * A recovered, promoted scratch cluster on this machine, private to one restore: it listens on a
 * socket in its own folder and trusts it. `close()` stops it and removes its folder (idempotent).
 */
export interface ScratchCluster {
  /** The socket folder and port (libpq's -h / -p). */
  sock: string;
  port: number;
  /** The role tools connect as. */
  user: string;
  /** Its data directory (inside the scratch folder). */
  dataDir: string;
  unpackSeconds: number;
  replaySeconds: number;
  /** Runs one SQL statement in `db` (psql -A -t): its output. */
  psql(db: string, sql: string): Promise<string>;
  /** The argv of a pg tool (pg_dump…) on this machine against the cluster, as its user. */
  tool(name: string, args: string[]): string[];
  /**
   * A clean shutdown (a checkpoint: the data directory then starts without recovery), leaving
   * the folder in place for the caller to take the data directory out; `close()` still removes it.
   */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export type RecoverClusterOptions = Omit<RecoverOptions, "dbName" | "outFile">;

/**
 * Unpacks the base backup and replays WAL up to the target in a scratch cluster, and hands it
 * over promoted. On any failure (or cancel) the cluster is stopped and its folder removed before
 * this throws; after success the caller owns it and must `close()` it whatever happens.
 */
export async function recoverCluster(o: RecoverClusterOptions): Promise<ScratchCluster> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const scratch = await mkdtemp(
    o.scratchIn ? join(o.scratchIn, ".odoodeck-rewind-") : join(tmpdir(), "odoodeck-pitr-"),
  );
  const data = join(scratch, "data");
  const sock = await socketFolder(scratch);
  const ctl = (...args: string[]) => asClusterUser([pgBin("pg_ctl"), "-D", data, ...args]);
  let started = false;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    if (started)
      await runLocal(ctl("-m", "immediate", "-w", "stop"), { what: "pg_ctl stop" }).catch(() => {});
    await rm(scratch, { recursive: true, force: true });
    if (!sock.startsWith(`${scratch}/`)) await rm(sock, { recursive: true, force: true });
  };
  const stop = async () => {
    if (!started) return;
    await runLocal(ctl("-m", "fast", "-w", "-t", "3600", "stop"), { what: "pg_ctl stop" });
    started = false;
  };
  try {
    await clusterDir(scratch);
    await clusterDir(data);
    await clusterDir(sock);
    await clusterDir(join(data, "pg_wal"));
    log(`Unpacking base backup ${o.base.name} into a scratch cluster`);
    const files = baseArchiveFiles(o.base.dir);
    await Promise.all([
      untar(join(o.base.dir, files.base), data, o.signal),
      untar(join(o.base.dir, files.wal), join(data, "pg_wal"), o.signal),
    ]);
    const unpacked = performance.now();
    const script = join(scratch, "restore-wal.sh");
    await writeFile(script, restoreScript(o.walDir), { mode: 0o755 });
    const port = freePort();
    const settings = [
      `port = ${port}`,
      "listen_addresses = ''",
      `unix_socket_directories = ${conf(sock)}`,
      `restore_command = ${conf(`${script} %f %p`)}`,
      ...(o.target === "latest" ? [] : [`recovery_target_time = ${conf(pgTime(o.target))}`]),
      // the base backup's own timeline: never wander onto a later one (a rewound cluster's, shipped
      // to the same destination) whose segments would shadow this one's
      "recovery_target_timeline = 'current'",
      "recovery_target_action = 'promote'",
      "hot_standby = off", // no connection before the target is reached and promoted
      "archive_mode = off",
      "max_connections = 20",
      ...(o.replay ?? replaySettings()),
      "logging_collector = off",
    ];
    await writeAsCluster(join(data, "postgresql.conf"), `${settings.join("\n")}\n`);
    await writeAsCluster(join(data, "postgresql.auto.conf"), "");
    await writeAsCluster(join(data, "pg_hba.conf"), "local all all trust\n");
    await writeAsCluster(join(data, "recovery.signal"), "");
    await writeAsCluster(join(data, "pg_ident.conf"), "");
    log(`Replaying WAL up to ${o.target === "latest" ? "the newest received" : o.target.toISOString()}`);
    started = true;
    try {
      await runLocal(ctl("-l", join(scratch, "server.log"), "-w", "-t", "3600", "start"), {
        what: "recovery",
        signal: o.signal,
      });
    } catch (e) {
      throw await recoveryError(join(scratch, "server.log"), e);
    }
    const tool = (name: string, args: string[]) =>
      asClusterUser([pgBin(name), "-h", sock, "-p", String(port), "-U", o.user, ...args]);
    const psql = (db: string, sql: string) =>
      runLocal(tool("psql", ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql]), {
        what: "psql",
      });
    await waitPromoted(
      (sql) => psql("postgres", sql),
      () => serverGone(ctl),
      join(scratch, "server.log"),
      o.signal,
    );
    const promoted = performance.now();
    return {
      sock,
      port,
      user: o.user,
      dataDir: data,
      unpackSeconds: (unpacked - t0) / 1000,
      replaySeconds: (promoted - unpacked) / 1000,
      psql,
      tool,
      stop,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Recovers to the target and writes the one database to `outFile` as a custom-format dump (the
 * file path: bench/pitr.ts and the tests compare it; a restore streams instead, stream-dump.ts).
 */
export async function recoverDatabase(o: RecoverOptions): Promise<RecoverTimings> {
  const t0 = performance.now();
  const c = await recoverCluster(o);
  try {
    const promoted = performance.now();
    o.log?.(`Recovered; dumping database ${o.dbName}`);
    const tmp = join(dirname(c.dataDir), "db.dump");
    await dumpToFile(c, o.dbName, tmp, o.signal);
    await runLocal(["mv", tmp, o.outFile], { what: "mv" });
    const end = performance.now();
    return {
      seconds: (end - t0) / 1000,
      unpackSeconds: c.unpackSeconds,
      replaySeconds: c.replaySeconds,
      dumpSeconds: (end - promoted) / 1000,
    };
  } finally {
    await c.close();
  }
}

/** The one database as a custom-format file (the file path; a restore streams, stream-dump.ts). */
export async function dumpToFile(c: ScratchCluster, dbName: string, file: string, signal?: AbortSignal) {
  await runLocal(
    c.tool("pg_dump", [
      "-Fc",
      "-Z0", // zlib in pg_dump ran at ~20 MB/s on one core; this file is temporary and local
      "--no-sync", // it is read right away; a crash loses the restore, not data
      "-f",
      file,
      dbName,
    ]),
    { what: "pg_dump", signal },
  );
}

/** tar's unpacking of a base backup file, by its compression (a zstd one needs the zstd program). */
async function untar(file: string, into: string, signal?: AbortSignal): Promise<void> {
  const how = file.endsWith(".zst") ? ["--zstd"] : file.endsWith(".gz") ? ["-z"] : [];
  if (how[0] === "--zstd" && !Bun.which("zstd"))
    throw new AppError("E_CONFIG", `Unpacking ${file} needs the zstd program, which is not installed`, {
      hint: "Install it (Debian/Ubuntu: apt-get install zstd) and start the restore again",
    });
  await runLocal(asClusterUser(["tar", ...how, "-xf", file, "-C", into]), {
    what: `tar ${file.split("/").at(-1)}`,
    signal,
  });
}

/**
 * The scratch cluster's settings for replay. It is thrown away after the dump, so nothing is made
 * durable (fsync, full_page_writes, synchronous_commit off); restartpoints wait for the end (with
 * the default max_wal_size of 1 GB, a day's WAL would write every dirty page at each GB); no
 * autovacuum competes with the dump after promotion. shared_buffers stays small on purpose: with
 * an eighth of the memory (3 GB here) replay of 105 MB of WAL took 34 s against 11-19 s at 128 MB
 * (the end-of-recovery checkpoint then writes everything at once; the OS cache holds the freshly
 * unpacked files anyway). recovery_prefetch keeps its default (try: on where posix_fadvise is).
 */
export function replaySettings(): string[] {
  return [
    "shared_buffers = 128MB",
    "fsync = off",
    "full_page_writes = off",
    "synchronous_commit = off",
    "max_wal_size = 100GB",
    "checkpoint_timeout = 1d",
    "autovacuum = off",
  ];
}

/**
 * pg_ctl -w returns once the postmaster runs, not when replay is over: wait until the cluster
 * accepts connections out of recovery (promoted), or has stopped (recovery failed: its log says why).
 */
async function waitPromoted(
  psql: (sql: string) => Promise<string>,
  gone: () => Promise<boolean>,
  logFile: string,
  signal?: AbortSignal,
): Promise<void> {
  for (;;) {
    if (signal?.aborted) throw new AppError("E_CANCELLED", "The point-in-time restore was cancelled");
    const r = await psql("SELECT pg_is_in_recovery()").catch(() => null);
    if (r?.trim() === "f") return;
    if (await gone()) throw await recoveryError(logFile, new Error("the scratch cluster stopped"));
    await Bun.sleep(250);
  }
}

async function serverGone(ctl: (...args: string[]) => string[]): Promise<boolean> {
  const p = Bun.spawn(ctl("status"), { stdout: "ignore", stderr: "ignore" });
  return (await p.exited) === 3; // pg_ctl status: 3 = no server running
}

async function writeAsCluster(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  if (process.getuid?.() === 0) await runLocal(["chown", "postgres:postgres", path], { what: "chown" });
}

/** PostgreSQL's own reason, from the scratch cluster's log, in the words a user can act on. */
async function recoveryError(logFile: string, e: unknown): Promise<AppError> {
  const text = await Bun.file(logFile)
    .text()
    .catch(() => "");
  const fatal = text.split("\n").find((l) => /FATAL|PANIC/.test(l)) ?? "";
  if (/before configured recovery target|before consistent recovery point/.test(fatal))
    return new AppError(
      "E_PITR_WINDOW",
      `WAL does not reach that point in time: ${fatal.replace(/^.*?(FATAL|PANIC):\s*/, "")}`,
      {
        hint: "Pick a time inside the window shown (after the base backup, before the last WAL received)",
        details: { log: text.slice(-4000) },
      },
    );
  return new AppError("E_COMMAND_FAILED", `Recovery failed: ${fatal || (e as Error).message}`, {
    details: { log: text.slice(-4000) },
  });
}
