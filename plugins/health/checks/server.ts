import type { Connection } from "../../../server/sdk/index.ts";
import type { CheckDef, CheckTarget, Measurement } from "../types.ts";
import { parseDf, parseLoadavg, parseMeminfo } from "./parse.ts";

const GiB = 1024 ** 3;

async function run(conn: Connection, argv: string[], signal: AbortSignal): Promise<string> {
  const r = await conn.exec(argv, { signal, timeoutMs: 15_000 });
  // df exits 1 when one path is missing but still reports the others.
  if (r.code !== 0 && !r.stdout.trim())
    throw new Error(`${argv[0]} failed: ${r.stderr.trim().slice(0, 200)}`);
  return r.stdout;
}

/** The data dir and the database's filestore, when they exist. */
async function dataPaths(target: CheckTarget): Promise<{ conn: Connection; paths: string[] }> {
  const { settings } = await target.odoo();
  const conn = await target.instance.connection();
  const db = target.instance.dbName ?? settings.dbNames[0];
  const candidates = [settings.dataDir, ...(db ? [settings.filestorePath(db)] : [])];
  const paths: string[] = [];
  for (const p of candidates) if (await conn.stat(p)) paths.push(p);
  if (!paths.length) throw new Error(`none of ${candidates.join(", ")} exists on ${conn.label}`);
  return { conn, paths };
}

async function dfCheck(target: CheckTarget, signal: AbortSignal, inodes: boolean): Promise<Measurement> {
  const { conn, paths } = await dataPaths(target);
  const rows = parseDf(await run(conn, ["df", "-P", inodes ? "-i" : "-B1", ...paths], signal));
  if (!rows.length)
    return {
      status: "unknown",
      message: inodes ? "the filesystem has no inode accounting" : "df printed nothing",
    };
  const worstRow = rows.reduce((a, b) => (b.free / b.total < a.free / a.total ? b : a));
  const pct = Math.round((worstRow.free / worstRow.total) * 1000) / 10;
  const what = inodes ? `${worstRow.free} inodes` : `${(worstRow.free / GiB).toFixed(1)} GiB`;
  return {
    value: pct,
    data: inodes
      ? { inodes_free: worstRow.free }
      : { free_bytes: worstRow.free, total_bytes: worstRow.total },
    message: `${pct}% free (${what}) on ${worstRow.mount}`,
  };
}

export const diskCheck: CheckDef = {
  id: "disk",
  label: "Disk free",
  unit: "%",
  thresholds: { warning: 15, critical: 5, direction: "below" },
  run: (t, s) => dfCheck(t, s, false),
};

export const inodesCheck: CheckDef = {
  id: "inodes",
  label: "Inodes free",
  unit: "%",
  thresholds: { warning: 10, critical: 3, direction: "below" },
  run: (t, s) => dfCheck(t, s, true),
};

/** 5-minute load per CPU, so one threshold fits small and large servers. */
export const loadCheck: CheckDef = {
  id: "load",
  label: "Load per CPU",
  thresholds: { warning: 1.5, critical: 3, direction: "above" },
  async run(target, signal) {
    const conn = await target.instance.connection();
    const [la, cpus] = await Promise.all([
      run(conn, ["cat", "/proc/loadavg"], signal),
      run(conn, ["getconf", "_NPROCESSORS_ONLN"], signal),
    ]);
    const load = parseLoadavg(la);
    const n = Math.max(1, Number(cpus.trim()) || 1);
    const per = Math.round((load.load5 / n) * 100) / 100;
    return {
      value: per,
      data: { load1: load.load1, load5: load.load5, cpus: n },
      message: `load ${load.load1} ${load.load5} ${load.load15} on ${n} CPU`,
    };
  },
};

export const memoryCheck: CheckDef = {
  id: "memory",
  label: "Memory used",
  unit: "%",
  thresholds: { warning: 90, critical: 97, direction: "above" },
  async run(target, signal) {
    const conn = await target.instance.connection();
    const m = parseMeminfo(await run(conn, ["cat", "/proc/meminfo"], signal));
    const used = Math.round((1 - m.available / m.total) * 1000) / 10;
    return {
      value: used,
      data: { total_bytes: m.total, available_bytes: m.available },
      message: `${used}% used, ${(m.available / GiB).toFixed(1)} GiB available of ${(m.total / GiB).toFixed(1)} GiB`,
    };
  },
};

/** `systemctl is-active <unit>` when the instance names its service. */
export const serviceCheck: CheckDef = {
  id: "service",
  label: "Service",
  applies: (inst) => !!inst.service,
  async run(target, signal) {
    const unit = target.instance.service!;
    const conn = await target.instance.connection();
    const r = await conn.exec(["systemctl", "is-active", unit], { signal, timeoutMs: 10_000 });
    const state = r.stdout.trim() || r.stderr.trim();
    if (r.code === 127 || /not found|No such file/i.test(r.stderr))
      return { status: "unknown", message: `systemctl is not available on ${conn.label}` };
    if (/not been booted with systemd|Failed to connect to bus/i.test(r.stderr))
      return {
        status: "unknown",
        message: `systemd is not running on ${conn.label}: cannot tell the state of ${unit}`,
      };
    if (state === "active") return { status: "ok", value: 1, message: `${unit} is active` };
    if (state === "activating" || state === "reloading")
      return { status: "warning", value: 0, message: `${unit} is ${state}` };
    return { status: "critical", value: 0, message: `${unit} is ${state || "not active"}` };
  },
};
