import { posix } from "node:path";
import { AppError, type Connection } from "odoodeck/sdk";

/**
 * Which logs of an instance may be read: the `logfile` of its odoo.conf, that file's rotated
 * siblings, paths an admin added, and the journald unit or docker container. Nothing else: a log
 * viewer that reads any path is a file-disclosure hole.
 */
export interface LogSourceConfig {
  /** `logfile` from odoo.conf (null when Odoo logs to stderr). */
  logfile?: string | null;
  extraPaths?: string[];
  /** systemd unit, e.g. "odoo.service" (read with journalctl). */
  service?: string | null;
  /** docker container name or id (read with docker logs). */
  container?: string | null;
}

export type LogSource =
  | { kind: "file"; path: string; compressed: boolean; size: number; mtimeMs: number }
  | { kind: "journal"; unit: string }
  | { kind: "docker"; container: string };

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,200}$/;

function cleanPath(path: string): string {
  if (!path.startsWith("/") || path.includes("\0")) {
    throw new AppError("E_VALIDATION", "A log path must be absolute", {
      hint: "Write the full path, e.g. /var/log/odoo/odoo.log",
    });
  }
  return posix.normalize(path);
}

/** True when `name` is the logfile itself or one of its rotations (.1, .2.gz, -20261122, .2026-11-22…). */
export function isRotationOf(logfile: string, path: string): boolean {
  const base = cleanPath(logfile);
  if (path === base) return true;
  if (posix.dirname(path) !== posix.dirname(base) || !path.startsWith(base)) return false;
  return /^(\.\d{1,4}|-\d{8}(\d{2})?|\.\d{4}-\d\d-\d\d(_\d\d-\d\d-\d\d)?)(\.gz)?$/.test(
    path.slice(base.length),
  );
}

/** Throws E_FORBIDDEN unless the path is one this instance may read. */
export function assertAllowedPath(cfg: LogSourceConfig, path: string): string {
  const p = cleanPath(path);
  if (cfg.logfile && isRotationOf(cfg.logfile, p)) return p;
  if ((cfg.extraPaths ?? []).some((x) => cleanPath(x) === p)) return p;
  throw new AppError("E_FORBIDDEN", `${p} is not a log of this instance`, {
    hint: "Only the odoo.conf logfile, its rotated copies and paths added in the instance's log settings can be read",
  });
}

/** The files that exist now (newest rotation last, the live file at the end) and the command sources. */
export async function listLogSources(conn: Connection, cfg: LogSourceConfig): Promise<LogSource[]> {
  const out: LogSource[] = [];
  if (cfg.logfile) {
    const base = cleanPath(cfg.logfile);
    const entries = await conn.list(posix.dirname(base)).catch(() => []);
    const files = entries.filter((e) => e.type === "file" && isRotationOf(base, e.path) && e.path !== base);
    // Oldest first, so a search over all of them reads in time order.
    files.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const f of files)
      out.push({
        kind: "file",
        path: f.path,
        compressed: f.path.endsWith(".gz"),
        size: f.size,
        mtimeMs: f.mtimeMs,
      });
    const live = await conn.stat(base);
    if (live)
      out.push({ kind: "file", path: base, compressed: false, size: live.size, mtimeMs: live.mtimeMs });
  }
  for (const x of cfg.extraPaths ?? []) {
    const st = await conn.stat(cleanPath(x));
    if (st?.type === "file")
      out.push({
        kind: "file",
        path: cleanPath(x),
        compressed: x.endsWith(".gz"),
        size: st.size,
        mtimeMs: st.mtimeMs,
      });
  }
  if (cfg.service) out.push({ kind: "journal", unit: checkName(cfg.service, "service") });
  if (cfg.container) out.push({ kind: "docker", container: checkName(cfg.container, "container") });
  return out;
}

function checkName(name: string, what: string): string {
  if (!NAME_RE.test(name))
    throw new AppError("E_VALIDATION", `"${name}" is not a valid ${what} name`, {
      hint: "Use the name shown by systemctl or docker ps",
    });
  return name;
}

/** The command that prints a command source, optionally following it (argument arrays only). */
export function sourceCommand(
  src: Exclude<LogSource, { kind: "file" }>,
  opts: { follow?: boolean; lines?: number; since?: string } = {},
): string[] {
  // 0 lines: only what comes next (follow from now).
  const lines = String(Math.max(0, Math.min(opts.lines ?? 1000, 100_000)));
  if (src.kind === "journal") {
    const cmd = ["journalctl", "-u", checkName(src.unit, "service"), "-o", "cat", "--no-pager", "-n", lines];
    if (opts.since) cmd.push(`--since=${opts.since}`);
    if (opts.follow) cmd.push("-f");
    return cmd;
  }
  const cmd = ["docker", "logs", "--tail", lines];
  if (opts.since) cmd.push("--since", opts.since);
  if (opts.follow) cmd.push("-f");
  cmd.push("--", checkName(src.container, "container"));
  return cmd;
}
