import { AppError, type Connection, type InstanceHandle, toAppError } from "odoodeck/sdk";
import { assertAllowedPath, type LogSource, type LogSourceConfig, listLogSources } from "./sources.ts";
import type { LogsStore } from "../store.ts";

/** What an instance may show: its conf's logfile (and rotations), extra paths, journald, docker. */
export interface InstanceLogs {
  inst: InstanceHandle;
  conn: Connection;
  cfg: LogSourceConfig;
  sources: LogSource[];
  /** Why odoo.conf gave no usable logfile, when it did not (shown beside the source picker). */
  confProblem: { code: string; message: string; hint?: string } | null;
}

const NO_FILE = new Set(["", "false", "none", "0"]);

export async function instanceLogs(store: LogsStore, inst: InstanceHandle): Promise<InstanceLogs> {
  const conn = await inst.connection();
  let logfile: string | null = null;
  let confProblem: InstanceLogs["confProblem"] = null;
  try {
    const raw = (await inst.odoo()).settings.logfile?.trim() ?? "";
    if (NO_FILE.has(raw.toLowerCase()))
      confProblem = {
        code: "E_NOT_FOUND",
        message: "odoo.conf sets no logfile: Odoo writes its log to stderr",
        hint: "Set the instance's systemd service or docker container to read it from there, or set logfile",
      };
    else if (!raw.startsWith("/"))
      confProblem = {
        code: "E_CONF_INVALID",
        message: `logfile = ${raw} is a relative path`,
        hint: "Odoo resolves it from its working directory, which odoodeck cannot know: write an absolute path",
      };
    else logfile = raw;
  } catch (e) {
    confProblem = toAppError(e).toJSON();
  }
  const extraPaths = (await store.extraPaths(inst.id)).map((p) => p.path);
  const cfg: LogSourceConfig = {
    logfile,
    extraPaths,
    service: inst.service,
    container: inst.container,
  };
  return { inst, conn, cfg, sources: await listLogSources(conn, cfg), confProblem };
}

/** The key a source is chosen by in URLs: its path, or "journal" / "docker". */
export function sourceKey(s: LogSource): string {
  return s.kind === "file" ? s.path : s.kind;
}

export function sourceLabel(s: LogSource): string {
  if (s.kind === "journal") return `journalctl -u ${s.unit}`;
  if (s.kind === "docker") return `docker logs ${s.container}`;
  return s.path;
}

/**
 * The source a request names, refusing anything the instance may not read. Without a name: the
 * live logfile, else the first source there is, else null.
 */
export function pickSource(l: InstanceLogs, key: string | null | undefined): LogSource | null {
  // "all" is the search's "every file"; a single view shows the default source then.
  if (!key || key === "all") {
    const live = l.cfg.logfile ? l.sources.find((s) => s.kind === "file" && s.path === l.cfg.logfile) : null;
    return live ?? l.sources[0] ?? null;
  }
  if (key === "journal" || key === "docker") {
    const s = l.sources.find((x) => x.kind === key);
    if (!s)
      throw new AppError(
        "E_NOT_FOUND",
        `This instance has no ${key === "journal" ? "systemd service" : "docker container"}`,
        {
          hint: "Set it on the instance's settings to read its logs from there",
        },
      );
    return s;
  }
  if (!key.startsWith("/"))
    throw new AppError("E_VALIDATION", `"${key}" is not a log source`, {
      hint: "Use a path from the source list, or journal / docker",
    });
  const path = assertAllowedPath(l.cfg, key);
  const found = l.sources.find((s) => s.kind === "file" && s.path === path);
  if (!found)
    throw new AppError("E_FILE_NOT_FOUND", `The log file ${path} does not exist`, {
      hint: "It may have been rotated away or not been written yet; pick another source",
    });
  return found;
}

/** Every file source, oldest rotation first and the live file last (for search and the errors summary). */
export function fileSources(l: InstanceLogs): Array<Extract<LogSource, { kind: "file" }>> {
  return l.sources.filter((s): s is Extract<LogSource, { kind: "file" }> => s.kind === "file");
}

/**
 * The files that may hold records of the last `hours`: a rotation last written before that
 * cannot (an hour of slack covers clocks and time zones). Saves re-reading old .gz rotations
 * on every scan.
 */
export function recentFiles(l: InstanceLogs, hours: number, now = Date.now()): string[] {
  const since = now - (hours + 1) * 3_600_000;
  return fileSources(l)
    .filter((s) => s.path === l.cfg.logfile || s.mtimeMs >= since)
    .map((s) => s.path);
}
