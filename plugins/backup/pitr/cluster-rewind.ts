/**
 * Rewinding an instance's WHOLE PostgreSQL cluster to a point in time: the physical path. The
 * one-database path (restore-op.ts) copies the database out of a scratch cluster logically, which
 * on two cores is ~80–100 MB/s (30 min for 100 GB); putting the recovered cluster itself in place
 * of the live one costs only the recovery (unpack + WAL replay: 8.7 min for 100 GB in
 * bench/pitr.ts) and a rename. It is offered only where it loses nothing else: the cluster holds
 * no database but the instance's (and its rollback copies), no tablespaces, and runs on this
 * machine, where odoodeck can stop and start it.
 *
 * Nothing live is touched before the swap: the cluster recovers beside the live data directory
 * (same filesystem: the swap is two renames) while the live one keeps serving. The swap stops
 * the instance's service and the cluster, renames the live data directory aside as
 * `<data>.before-rewind-<stamp>` (kept: it is the cluster exactly as it was) and the recovered
 * one into its place with the live configuration files, starts it and checks it. If the recovered
 * cluster does not start or answer, the live one is put back and started: the rewind is refused,
 * nothing is lost.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, stat, statfs } from "node:fs/promises";
import { dirname, join } from "node:path";
import { AppError, type Connection } from "../../../server/sdk/index.ts";
import type { PgTarget } from "../restore/restore-pg.ts";
import { runTool } from "../restore/restore-pg.ts";
import { pgBin, replicationArgs, runLocal, toolEnv } from "./tools.ts";

/** How the live cluster is stopped and started again. */
export type ClusterManager = { kind: "systemd"; unit: string } | { kind: "pg_ctl"; opts: string };

export interface LiveCluster {
  dataDir: string;
  /** The folder holding the data directory: the recovery goes here, on the same filesystem. */
  parent: string;
  port: number;
  pid: number;
  owner: { uid: number; gid: number; name: string };
  /** Mode bits of the data directory (0700, or 0750 with group access). */
  mode: number;
  /** The live server's binaries (pg_ctl, initdb, pg_controldata of its major). */
  binDir: string;
  systemId: string;
  serverMajor: number;
  /** Bytes of all its databases: what the recovered copy needs beside it. */
  bytes: number;
  manager: ClusterManager;
  /** Rollback copies of the database, rewound with the cluster (they are kept in the old one). */
  rollbacks: string[];
}

const LOCAL_HOSTS = new Set(["", "localhost", "127.0.0.1", "::1"]);

const refuse = (why: string, hint?: string) =>
  new AppError("E_PITR_CLUSTER", why, {
    hint: hint ?? "Restore the database alone instead (the default): it goes through a temporary database",
  });

/**
 * Whether the instance's cluster may be rewound as a whole, and what the swap needs to know.
 * Throws E_PITR_CLUSTER (why not, and what to do), E_PERMISSION or E_DISK_FULL before anything is
 * created. `systemId` is the archive's (enabled.json): a cluster of another lineage is refused.
 */
export async function inspectLiveCluster(o: {
  pg: PgTarget;
  dbName: string;
  systemId: string | null;
}): Promise<LiveCluster> {
  const host = o.pg.host ?? "";
  if (!host.startsWith("/") && !LOCAL_HOSTS.has(host))
    throw refuse(
      `PostgreSQL runs on ${host}, not on this machine: only a cluster odoodeck runs beside can be rewound`,
    );
  let row: string[];
  try {
    const out = await runLocal(
      [
        pgBin("psql"),
        "-X",
        "-A",
        "-t",
        "-F",
        "|",
        ...replicationArgs(o.pg),
        "-d",
        o.dbName,
        "-c",
        `SELECT current_setting('data_directory'), current_setting('server_version_num'),
           (SELECT coalesce(string_agg(datname, ',' ORDER BY datname), '') FROM pg_database
             WHERE datname NOT IN ('postgres', 'template0', 'template1')),
           (SELECT sum(pg_database_size(oid)) FROM pg_database WHERE datallowconn),
           (SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global'))`,
      ],
      { env: toolEnv(o.pg), what: "psql" },
    );
    row = out.trim().split("|");
  } catch (e) {
    const msg = (e as Error).message;
    if (/pg_read_all_settings|data_directory/.test(msg))
      throw refuse(
        `The role ${o.pg.user ?? "odoo"} may not read where the cluster keeps its data (data_directory)`,
        `As a superuser: GRANT pg_read_all_settings TO "${(o.pg.user ?? "odoo").replaceAll('"', '""')}"; or restore the database alone`,
      );
    throw e;
  }
  const [dataDir = "", versionNum = "0", dbList = "", bytes = "0", tablespaces = "0"] = row;
  const others: string[] = [];
  const rollbacks: string[] = [];
  for (const d of dbList.split(",").filter(Boolean)) {
    if (d === o.dbName) continue;
    if (d.startsWith(`${o.dbName}__rollback_`)) rollbacks.push(d);
    else others.push(d);
  }
  if (others.length)
    throw refuse(
      `The cluster also holds ${others.join(", ")}: rewinding it would take ${others.length === 1 ? "that database" : "those databases"} back too`,
    );
  if (Number(tablespaces) > 0)
    throw refuse(
      "The cluster uses tablespaces outside its data directory: the rewind moves the data directory only",
    );
  if (!dataDir.startsWith("/") || !existsSync(dirname(dataDir)))
    throw refuse(`The cluster's data directory (${dataDir}) is not on this machine`);
  const dirStat = await stat(dataDir).catch((e) => {
    throw new AppError(
      "E_PERMISSION",
      `odoodeck cannot reach the data directory ${dataDir}: ${(e as Error).message}`,
    );
  });
  const me = process.getuid?.() ?? -1;
  if (me !== 0 && me !== dirStat.uid)
    throw new AppError(
      "E_PERMISSION",
      `odoodeck runs as uid ${me}; the data directory ${dataDir} belongs to uid ${dirStat.uid}`,
      {
        hint: "Rewinding a whole cluster needs odoodeck to run as root or as the cluster's owner",
      },
    );
  const name = (await runLocal(["id", "-nu", String(dirStat.uid)], { what: "id" })).trim();
  if (me === 0 && name !== "postgres")
    throw refuse(`The data directory belongs to ${name}; odoodeck recovers clusters as postgres`);
  const pidFile = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => null);
  if (!pidFile) throw refuse(`No server runs on ${dataDir} (no postmaster.pid)`);
  const lines = pidFile.split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (port !== Number(o.pg.port))
    throw refuse(
      `The server on ${dataDir} listens on port ${port}, not ${o.pg.port}: not the instance's cluster here`,
    );
  const optsFile = await readFile(join(dataDir, "postmaster.opts"), "utf8").catch(() => "");
  const argv = parseOpts(optsFile);
  const binDir = argv[0]?.startsWith("/")
    ? dirname(argv[0])
    : dirname(pgBin("pg_ctl", Math.floor(Number(versionNum) / 10000)));
  const owner = { uid: dirStat.uid, gid: dirStat.gid, name };
  const control = await runLocal(asOwner(owner, [join(binDir, "pg_controldata"), "-D", dataDir]), {
    what: "pg_controldata",
    env: { LC_ALL: "C" },
  });
  const systemId = /Database system identifier:\s*(\d+)/.exec(control)?.[1] ?? "";
  if (o.systemId && systemId !== o.systemId)
    throw refuse(
      `The cluster on ${dataDir} (system ${systemId}) is not the one this archive was streamed from (system ${o.systemId})`,
    );
  const parent = dirname(dataDir);
  const need = Number(bytes) * 1.1 + 256 * 1048576;
  const fs = await statfs(parent);
  const free = Number(fs.bavail) * Number(fs.bsize);
  if (free < need)
    throw new AppError(
      "E_DISK_FULL",
      `The recovered cluster needs about ${gb(need)} beside the live one in ${parent}; ${gb(free)} is free`,
      {
        hint: "Free space on that filesystem, or restore the database alone (it needs room for one database)",
      },
    );
  return {
    dataDir,
    parent,
    port,
    pid,
    owner,
    mode: dirStat.mode & 0o777,
    binDir,
    systemId,
    serverMajor: Math.floor(Number(versionNum) / 10000),
    bytes: Number(bytes),
    manager: await managerOf(pid, argv),
    rollbacks,
  };
}

const gb = (n: number) => `${(n / 1073741824).toFixed(1)} GB`;

/** `cmd` as the data directory's owner (PostgreSQL's tools refuse root). */
export function asOwner(owner: { uid: number; name: string }, cmd: string[]): string[] {
  return process.getuid?.() === 0 && owner.uid !== 0 ? ["runuser", "-u", owner.name, "--", ...cmd] : cmd;
}

/** postmaster.opts: the executable, then each argument in double quotes (as PostgreSQL writes it). */
export function parseOpts(text: string): string[] {
  const line = text.trim();
  if (!line) return [];
  const sp = line.indexOf(" ");
  const out = [sp < 0 ? line : line.slice(0, sp)];
  for (const m of (sp < 0 ? "" : line.slice(sp)).matchAll(/"((?:[^"\\]|\\.)*)"/g)) out.push(m[1]!);
  return out;
}

/**
 * systemd's unit when the postmaster runs in one (Debian's postgresql@15-main.service): stopped
 * and started through systemctl, or systemd would restart it or mark it failed. Else pg_ctl with
 * the arguments the postmaster was started with (postmaster.opts, minus the executable and -D).
 */
async function managerOf(pid: number, argv: string[]): Promise<ClusterManager> {
  if (existsSync("/run/systemd/system")) {
    const cg = await readFile(`/proc/${pid}/cgroup`, "utf8").catch(() => "");
    const unit = /\/([^/\s]+\.service)\s*$/m.exec(cg)?.[1];
    if (unit) return { kind: "systemd", unit };
  }
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === "-D") {
      i++;
      continue;
    }
    rest.push(argv[i]!);
  }
  return { kind: "pg_ctl", opts: rest.map((a) => `"${a}"`).join(" ") };
}

/** Configuration files the scratch cluster wrote for itself; the live ones replace them. */
const SCRATCH_WRITTEN = ["postgresql.conf", "postgresql.auto.conf", "pg_hba.conf", "pg_ident.conf"];
/** Top-level files of a data directory that belong to its state, never copied from the live one. */
const STATE_FILES = new Set([
  "PG_VERSION",
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "backup_label.old",
  "backup_manifest",
  "tablespace_map",
  "tablespace_map.old",
  "current_logfiles",
  "recovery.signal",
  "standby.signal",
]);

export interface SwapClusterResult {
  /** The live data directory as it was, renamed aside and kept. */
  keptDataDir: string;
  /** Seconds between stopping the instance and starting it again. */
  downtimeSeconds: number;
  /** Where the server's own output goes (a pg_ctl-started cluster), else null. */
  serverLog: string | null;
}

export interface SwapClusterOptions {
  live: LiveCluster;
  /** The recovered data directory, cleanly shut down, beside the live one. */
  recovered: string;
  /** Where a recovered directory that failed to start is moved to be removed with the scratch. */
  discardAs: string;
  stamp: string;
  pg: PgTarget;
  dbName: string;
  conn: Connection;
  service: string | null;
  log: (line: string) => void;
  /** Runs before the cluster stops (the WAL receiver is stopped: it would retry meanwhile). */
  beforeStop?: () => Promise<void>;
  /** Runs once the recovered cluster answers, before the service starts (the filestore swap). */
  whileStopped?: () => Promise<void>;
  /**
   * Records how far the swap got (rewind.json beside the archive), so an odoodeck killed in the
   * middle puts the live cluster back when it starts again (repairRewind).
   */
  journal?: (stage: "swapping" | "swapped") => Promise<void>;
}

/**
 * The swap itself. The recovered directory is made durable first (it recovered without fsync):
 * initdb --sync-only, outside the downtime. Then: service stop, cluster stop, two renames, the
 * live configuration files copied in, start, check; on any failure the live directory is put back.
 */
export async function swapClusterIn(o: SwapClusterOptions): Promise<SwapClusterResult> {
  const { live, log } = o;
  const owner = live.owner;
  const run = (cmd: string[], what: string) => runLocal(asOwner(owner, cmd), { what });
  const control = await run([join(live.binDir, "pg_controldata"), "-D", o.recovered], "pg_controldata");
  const id = /Database system identifier:\s*(\d+)/.exec(control)?.[1];
  if (id !== live.systemId)
    throw new AppError(
      "E_PITR_SWAP",
      `The recovered cluster (system ${id}) is not a copy of the live one (system ${live.systemId})`,
    );
  log("Writing the recovered cluster to disk (initdb --sync-only)");
  await run([join(live.binDir, "initdb"), "--sync-only", "-D", o.recovered], "initdb --sync-only");
  await run(["chmod", live.mode.toString(8), o.recovered], "chmod");
  const kept = `${live.dataDir}.before-rewind-${o.stamp}`;
  const serverLog =
    live.manager.kind === "pg_ctl" ? join(live.parent, `odoodeck-rewind-${o.stamp}.log`) : null;
  const t0 = performance.now();
  let serviceStopped = false;
  const startService = async () => {
    if (o.service && serviceStopped) {
      log(`Starting ${o.service}`);
      await runTool(o.conn, ["systemctl", "start", o.service], { what: `systemctl start ${o.service}` });
      serviceStopped = false;
    }
  };
  if (o.service) {
    log(`Stopping ${o.service}`);
    await runTool(o.conn, ["systemctl", "stop", o.service], { what: `systemctl stop ${o.service}` });
    serviceStopped = true;
  }
  let renamed = false;
  try {
    await o.journal?.("swapping");
    await o.beforeStop?.();
    log(`Stopping PostgreSQL (${describe(live.manager)})`);
    await stopCluster(o, live.dataDir);
    await run(["mv", "-T", live.dataDir, kept], "mv");
    renamed = true;
    await run(["mv", "-T", o.recovered, live.dataDir], "mv");
    await copyLiveConfig(owner, kept, live.dataDir);
    log("Starting PostgreSQL on the recovered data directory");
    await startCluster(o, serverLog);
    await answers(o, 60_000);
    await o.whileStopped?.();
    await o.journal?.("swapped");
  } catch (e) {
    if (!renamed) {
      await startService().catch(() => {});
      throw e;
    }
    log(`The recovered cluster failed (${(e as Error).message}); putting the live one back`);
    try {
      await putBack(o, kept, o.discardAs, serverLog);
    } catch (back) {
      throw new AppError(
        "E_PITR_SWAP",
        `The recovered cluster failed (${(e as Error).message}) and the live one did not start again: ${(back as Error).message}`,
        {
          details: { putBackFailed: true },
          hint: `The live data directory as it was is ${kept} (if it is not at ${live.dataDir} already). As ${owner.name}: move it back to ${live.dataDir} and start PostgreSQL (${describe(live.manager)})`,
        },
      );
    }
    await startService().catch(() => {});
    throw new AppError("E_PITR_SWAP", `The recovered cluster did not start: ${(e as Error).message}`, {
      hint: "The live cluster was put back and runs as before; nothing was changed",
      details: { serverLog: serverLog ? await tail(serverLog) : null },
    });
  }
  await startService();
  return { keptDataDir: kept, downtimeSeconds: (performance.now() - t0) / 1000, serverLog };
}

/** The live data directory back in its place (from `kept`), the cluster running on it and answering. */
async function putBack(
  o: Pick<SwapClusterOptions, "live" | "pg" | "dbName">,
  kept: string,
  discardAs: string,
  serverLog: string | null,
) {
  const run = (cmd: string[], what: string) => runLocal(asOwner(o.live.owner, cmd), { what });
  if (existsSync(join(kept, "PG_VERSION"))) {
    if (await running(o.live)) await stopCluster(o, o.live.dataDir, "immediate").catch(() => {});
    if (existsSync(o.live.dataDir)) await run(["mv", "-T", o.live.dataDir, discardAs], "mv");
    await run(["mv", "-T", kept, o.live.dataDir], "mv");
  }
  if (!(await running(o.live))) await startCluster(o, serverLog);
  await answers(o, 60_000);
}

/** Whether a server runs on the live data directory (pg_ctl status: 0 runs, 3 does not). */
async function running(live: LiveCluster): Promise<boolean> {
  if (live.manager.kind === "systemd") {
    const p = Bun.spawn(["systemctl", "is-active", "--quiet", live.manager.unit], {
      stdout: "ignore",
      stderr: "ignore",
    });
    return (await p.exited) === 0;
  }
  const p = Bun.spawn(asOwner(live.owner, [join(live.binDir, "pg_ctl"), "-D", live.dataDir, "status"]), {
    stdout: "ignore",
    stderr: "ignore",
  });
  return (await p.exited) === 0;
}

/** What rewind.json holds while a rewind runs: enough to undo it without asking PostgreSQL. */
export interface RewindJournal {
  stage: "recovering" | "swapping" | "swapped";
  stamp: string;
  at: string;
  live: LiveCluster;
}

/**
 * Undoes what a rewind killed midway left (odoodeck starting again with rewind.json present):
 * recovering → its scratch cluster stopped and removed; swapping → the live data directory put
 * back and started (the recovered one removed: it was not proven yet), the scratch removed;
 * swapped → the cluster is the rewound one and stays (the caller starts the new archive).
 * Answers what it did, for the log.
 */
export async function repairRewind(j: RewindJournal, pg: PgTarget, dbName: string): Promise<string> {
  const kept = `${j.live.dataDir}.before-rewind-${j.stamp}`;
  let did = "";
  if (j.stage === "swapping") {
    const discard = join(j.live.parent, `.odoodeck-rewind-failed-${j.stamp}`);
    const serverLog =
      j.live.manager.kind === "pg_ctl" ? join(j.live.parent, `odoodeck-rewind-${j.stamp}.log`) : null;
    const wasAside = existsSync(join(kept, "PG_VERSION"));
    await putBack({ live: j.live, pg, dbName }, kept, discard, serverLog);
    did = wasAside
      ? `the rewind to ${j.at} was interrupted during the swap: the cluster as it was is back on ${j.live.dataDir} and runs`
      : `the rewind to ${j.at} was interrupted before the swap: the cluster runs on ${j.live.dataDir} as it was`;
  } else if (j.stage === "swapped") did = `the rewind to ${j.at} had swapped the cluster in; it stays`;
  else did = `the rewind to ${j.at} was interrupted while recovering; the live cluster was not touched`;
  await removeLeftScratch(j.live);
  return did;
}

/** Every scratch folder a rewind left beside the data directory (their servers stopped); their names. */
export async function removeLeftScratch(
  live: Pick<LiveCluster, "parent" | "owner" | "binDir">,
): Promise<string[]> {
  const left = (await readdir(live.parent).catch(() => [] as string[])).filter((n) =>
    n.startsWith(".odoodeck-rewind-"),
  );
  for (const n of left) await removeScratch(live, join(live.parent, n));
  return left;
}

/** A scratch folder of a rewind: its server stopped (it outlives a killed odoodeck), then removed. */
export async function removeScratch(live: Pick<LiveCluster, "owner" | "binDir">, dir: string): Promise<void> {
  const data = existsSync(join(dir, "data", "postmaster.pid")) ? join(dir, "data") : null;
  if (data)
    await runLocal(
      asOwner(live.owner, [join(live.binDir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]),
      {
        what: "pg_ctl stop",
      },
    ).catch(() => {});
  await runLocal(["rm", "-rf", "--", dir], { what: "rm" });
}

function describe(m: ClusterManager): string {
  return m.kind === "systemd" ? `systemctl, ${m.unit}` : "pg_ctl";
}

async function stopCluster(
  o: Pick<SwapClusterOptions, "live">,
  dataDir: string,
  mode: "fast" | "immediate" = "fast",
) {
  const m = o.live.manager;
  if (m.kind === "systemd") {
    await runLocal(["systemctl", "stop", m.unit], { what: `systemctl stop ${m.unit}` });
    return;
  }
  await runLocal(
    asOwner(o.live.owner, [
      join(o.live.binDir, "pg_ctl"),
      "-D",
      dataDir,
      "-m",
      mode,
      "-w",
      "-t",
      "600",
      "stop",
    ]),
    {
      what: "pg_ctl stop",
    },
  );
}

async function startCluster(o: Pick<SwapClusterOptions, "live">, serverLog: string | null) {
  const m = o.live.manager;
  if (m.kind === "systemd") {
    await runLocal(["systemctl", "start", m.unit], { what: `systemctl start ${m.unit}` });
    return;
  }
  const args = [join(o.live.binDir, "pg_ctl"), "-D", o.live.dataDir, "-w", "-t", "600", "-l", serverLog!];
  if (m.opts) args.push("-o", m.opts);
  await runLocal(asOwner(o.live.owner, [...args, "start"]), { what: "pg_ctl start" });
}

/** The instance's connection works again: out of recovery, its database there. */
async function answers(o: Pick<SwapClusterOptions, "pg" | "dbName">, ms: number): Promise<void> {
  const end = Date.now() + ms;
  let last = "";
  while (Date.now() < end) {
    try {
      const out = await runLocal(
        [
          pgBin("psql"),
          "-X",
          "-A",
          "-t",
          ...replicationArgs(o.pg),
          "-d",
          o.dbName,
          "-c",
          "SELECT pg_is_in_recovery()",
        ],
        { env: toolEnv(o.pg), what: "psql" },
      );
      if (out.trim() === "f") return;
      last = "still in recovery";
    } catch (e) {
      last = (e as Error).message;
    }
    await Bun.sleep(250);
  }
  throw new AppError("E_PITR_SWAP", `PostgreSQL does not answer for ${o.dbName}: ${last}`);
}

/** The live configuration in the recovered directory: what runs after the swap is what ran before. */
async function copyLiveConfig(owner: { uid: number; name: string }, from: string, to: string) {
  const liveFiles = new Set<string>();
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (!e.isFile() || STATE_FILES.has(e.name)) continue;
    liveFiles.add(e.name);
    await runLocal(asOwner(owner, ["cp", "-p", "--", join(from, e.name), join(to, e.name)]), { what: "cp" });
  }
  for (const f of SCRATCH_WRITTEN)
    if (!liveFiles.has(f)) await runLocal(asOwner(owner, ["rm", "-f", "--", join(to, f)]), { what: "rm" });
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.slice(-4000);
}
