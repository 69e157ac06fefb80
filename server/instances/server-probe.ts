import type { Connection } from "../connections/types.ts";
import { isAppError, toAppError } from "../errors.ts";
import { toolVersion } from "../odoo/pg.ts";
import type { Registry } from "./registry.ts";

export const PROBED_TOOLS = [
  "pg_dump",
  "pg_restore",
  "psql",
  "odoo-bin",
  "odoo",
  "docker",
  "systemctl",
] as const;
const DISK_PATHS = ["/", "/var/lib"];

export interface ToolReport {
  name: string;
  path: string | null;
  version: string | null;
}

export interface DiskReport {
  path: string;
  mount: string;
  totalBytes: number;
  freeBytes: number;
}

/** What “Test connection” tells a person about a server. Never carries a secret. */
export interface ServerProbe {
  reachable: boolean;
  authOk: boolean;
  fingerprint: string | null;
  latencyMs: number | null;
  os: string | null;
  distribution: string | null;
  disks: DiskReport[];
  tools: ToolReport[];
  error: { code: string; message: string; hint?: string; expected?: string; presented?: string } | null;
}

/** `command -v` through sh with the name as an argument, so nothing is pasted into a shell line. */
async function which(conn: Connection, name: string): Promise<string | null> {
  const r = await conn.exec(["sh", "-c", 'command -v "$1"', "sh", name], { timeoutMs: 15_000 });
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** `df -P -B1 <path>` → free and total bytes of the file system holding it. */
async function disk(conn: Connection, path: string): Promise<DiskReport | null> {
  const r = await conn.exec(["df", "-P", "-B1", path], { timeoutMs: 15_000 });
  const line = r.stdout.trim().split("\n").slice(1).pop();
  if (r.code !== 0 || !line) return null;
  // Filesystem names may hold spaces: read the numeric columns from the end.
  const f = line.trim().split(/\s+/);
  const [total, , avail, , mount] = f.slice(-5);
  return { path, mount, totalBytes: Number(total), freeBytes: Number(avail) };
}

export function prettyName(osRelease: string): string | null {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  return m ? m[1].trim().replace(/^(["'])(.*)\1$/, "$2") : null;
}

/** Connects, authenticates and looks around; failures become a report, not an exception. */
export async function probeServer(registry: Registry, serverId: number): Promise<ServerProbe> {
  const report: ServerProbe = {
    reachable: false,
    authOk: false,
    fingerprint: null,
    latencyMs: null,
    os: null,
    distribution: null,
    disks: [],
    tools: [],
    error: null,
  };
  let conn: Connection;
  try {
    conn = await registry.connection(serverId);
    const t0 = performance.now();
    const uname = await conn.exec(["uname", "-sr"], { timeoutMs: 20_000 });
    report.latencyMs = Math.round(performance.now() - t0);
    report.reachable = true;
    report.authOk = true;
    report.os = uname.stdout.trim() || null;
  } catch (e) {
    const err = toAppError(e);
    await registry.noteFailure(serverId, err);
    const d = (isAppError(err) ? err.details : null) as { expected?: string; presented?: string } | null;
    report.reachable = err.code === "E_AUTH_FAILED" || err.code === "E_HOSTKEY_MISMATCH";
    report.error = {
      ...err.toJSON(),
      ...(d?.presented ? { expected: d.expected, presented: d.presented } : {}),
    };
    if (err.code === "E_HOSTKEY_MISMATCH") report.fingerprint = d?.expected ?? null;
    return report;
  }
  await registry.pinned(serverId);
  report.fingerprint = (await registry.server(serverId)).host_key;
  const osRelease = await conn
    .exec(["cat", "/etc/os-release"], { timeoutMs: 15_000 })
    .then((r) => (r.code === 0 ? r.stdout : ""))
    .catch(() => "");
  report.distribution = prettyName(osRelease);
  const [disks, tools] = await Promise.all([
    Promise.all(DISK_PATHS.map((p) => disk(conn, p).catch(() => null))),
    Promise.all(
      PROBED_TOOLS.map(async (name): Promise<ToolReport> => {
        const path = await which(conn, name).catch(() => null);
        const pg = name === "pg_dump" || name === "pg_restore" || name === "psql";
        const version = path && pg ? ((await toolVersion(conn, name))?.version ?? null) : null;
        return { name, path, version };
      }),
    ),
  ]);
  report.disks = disks.filter((d): d is DiskReport => d !== null);
  report.tools = tools;
  return report;
}
