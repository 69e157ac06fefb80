/**
 * Running PostgreSQL's own tools on the odoodeck machine for continuous WAL: pg_receivewal,
 * pg_basebackup, and the scratch cluster a point-in-time restore recovers into. When odoodeck
 * runs as root they run as `postgres`, so the archive and the scratch cluster belong to the one
 * user a PostgreSQL server may run as (it refuses root) and the scratch cluster can read the WAL.
 */
import { existsSync } from "node:fs";
import { chmod, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { AppError } from "../../../server/sdk/index.ts";
import { pgEnv, type PgTarget, toolFailed } from "../restore/restore-pg.ts";

/** Newest installed PostgreSQL binaries at or above `major` (Debian's layout), else PATH. */
export function pgBin(tool: string, major = 15): string {
  for (let v = 17; v >= major; v--) {
    const p = `/usr/lib/postgresql/${v}/bin/${tool}`;
    if (existsSync(p)) return p;
  }
  return tool;
}

/** `cmd` as the `postgres` user when we are root (PostgreSQL refuses to run as root). */
export function asClusterUser(cmd: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
}

/** libpq connection options of a replication connection to the instance's server. */
export function replicationArgs(pg: PgTarget): string[] {
  const a = ["-p", String(pg.port)];
  if (pg.host) a.push("-h", pg.host);
  if (pg.user) a.push("-U", pg.user);
  return a;
}

/** The environment of every tool: password in PGPASSWORD (never argv), messages in English. */
export function toolEnv(pg: PgTarget): Record<string, string> {
  return { ...pgEnv(pg), PGAPPNAME: "odoodeck-pitr" };
}

/** Runs a local command to completion; a non-zero exit is E_COMMAND_FAILED with stderr's gist. */
export async function runLocal(
  cmd: string[],
  o: { env?: Record<string, string>; what: string; signal?: AbortSignal; stdout?: "pipe" | number },
): Promise<string> {
  const p = Bun.spawn(cmd, {
    env: { ...process.env, ...o.env },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
    detached: true,
  });
  const onAbort = () => kill(p.pid, "SIGTERM");
  o.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const [out, err, code] = await Promise.all([
      new Response(p.stdout).text(),
      new Response(p.stderr).text(),
      p.exited,
    ]);
    if (o.signal?.aborted) throw new AppError("E_CANCELLED", `${o.what} was cancelled`);
    if (code !== 0) throw toolFailed(o.what, err || out, code);
    return out;
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
  }
}

/** Signals a process group (ours are detached), ignoring one that is gone already. */
export function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

/** Makes `dir` (and parents) and hands it to the cluster user, mode 0700. */
export async function clusterDir(dir: string): Promise<void> {
  await runLocal(["mkdir", "-p", "-m", "0700", dir], { what: "mkdir" });
  if (process.getuid?.() === 0) await runLocal(["chown", "postgres:postgres", dir], { what: "chown" });
}

/**
 * As root, the archive under odoodeck's data directory is written by the cluster user, which a
 * data directory made 0700 shuts out (pg_receivewal: "Permission denied"). The data directory is
 * opened for traversal only (o+x: nothing in it can be listed, and its files keep their modes);
 * a closed folder above it is not ours to change: E_CONFIG says which and how.
 */
export async function letClusterThrough(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const mode = (await stat(dataDir)).mode & 0o7777;
  if ((mode & 0o001) === 0) await chmod(dataDir, mode | 0o001);
  for (let d = dirname(dataDir); ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0)
      throw new AppError(
        "E_CONFIG",
        `PostgreSQL's user (postgres) cannot reach the WAL archive under ${dataDir}: ${d} is closed to it`,
        { hint: `chmod o+x ${d} lets it through without listing it; or move odoodeck's data directory` },
      );
    if (d === dirname(d)) return;
  }
}
