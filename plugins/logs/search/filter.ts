import { AppError } from "odoodeck/sdk";
import { parseLogTime } from "../parse/parser.ts";
import { LEVELS, type Level, type LogRecord, levelRank, recordText } from "../parse/record.ts";

/** What the user narrowed the log to. Every field is optional; all given fields must match. */
export interface LogFilter {
  /** Records at this level or above (or exactly this level with `levelOnly`). */
  level?: Level;
  levelOnly?: boolean;
  db?: string;
  /** Logger prefix: "odoo.addons.base" matches "odoo.addons.base.models.ir_cron". */
  logger?: string;
  pid?: number;
  /** Case-insensitive substring, searched in the whole record (header and traceback included). */
  text?: string;
  /** JavaScript regular expression (case-insensitive), also over the whole record. */
  regex?: string;
  /** Naive timestamps (see LogRecord.ts): since inclusive, until exclusive. */
  since?: number;
  until?: number;
  /** Hide werkzeug access lines. */
  hideAccess?: boolean;
}

const MAX_PATTERN = 500;

function bad(message: string, hint: string): AppError {
  return new AppError("E_VALIDATION", message, { hint });
}

function fmtTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** Reads a filter from URL query parameters (`?level=warning&db=acme_prod&q=timeout`). */
export function filterFromQuery(q: URLSearchParams): LogFilter {
  const f: LogFilter = {};
  const level = q.get("level")?.toUpperCase();
  if (level) {
    if (!(LEVELS as readonly string[]).includes(level))
      throw bad(`Unknown level "${level}"`, `Use one of ${LEVELS.join(", ")}`);
    f.level = level as Level;
    if (q.get("only") === "1") f.levelOnly = true;
  }
  const db = q.get("db");
  if (db) f.db = db;
  const logger = q.get("logger");
  if (logger) f.logger = logger;
  const pid = q.get("pid");
  if (pid) {
    if (!/^\d{1,9}$/.test(pid))
      throw bad("The process id must be a number", "Use the number after the time, e.g. 6180");
    f.pid = Number(pid);
  }
  const text = q.get("q");
  if (text) f.text = text.slice(0, MAX_PATTERN);
  const regex = q.get("re");
  if (regex) f.regex = regex;
  for (const key of ["since", "until"] as const) {
    const v = q.get(key);
    if (!v) continue;
    const ms = parseLogTime(v);
    if (ms === null)
      throw bad(`"${key}" is not a time`, "Write it as 2026-11-22 20:30 or 2026-11-22T20:30:00");
    f[key] = ms;
  }
  if (q.get("access") === "0") f.hideAccess = true;
  compileFilter(f); // fail early on a bad regex
  return f;
}

/** The inverse of filterFromQuery, for links and htmx requests. */
export function filterToQuery(f: LogFilter): URLSearchParams {
  const q = new URLSearchParams();
  if (f.level) q.set("level", f.level.toLowerCase());
  if (f.levelOnly) q.set("only", "1");
  if (f.db) q.set("db", f.db);
  if (f.logger) q.set("logger", f.logger);
  if (f.pid !== undefined) q.set("pid", String(f.pid));
  if (f.text) q.set("q", f.text);
  if (f.regex) q.set("re", f.regex);
  if (f.since !== undefined) q.set("since", fmtTime(f.since));
  if (f.until !== undefined) q.set("until", fmtTime(f.until));
  if (f.hideAccess) q.set("access", "0");
  return q;
}

/** Builds the predicate once; checks the cheap fields before the text. */
export function compileFilter(f: LogFilter): (r: LogRecord) => boolean {
  let re: RegExp | null = null;
  if (f.regex) {
    if (f.regex.length > MAX_PATTERN)
      throw bad("The regular expression is too long", `Keep it under ${MAX_PATTERN} characters`);
    try {
      re = new RegExp(f.regex, "i");
    } catch (e) {
      throw bad(
        `The regular expression is not valid: ${(e as Error).message}`,
        "Check brackets and escape special characters with \\",
      );
    }
  }
  const text = f.text?.toLowerCase();
  const min = f.level ? levelRank(f.level) : -1;
  const loggerDot = f.logger ? `${f.logger}.` : "";
  return (r) => {
    if (f.level) {
      const rank = levelRank(r.level);
      if (f.levelOnly ? rank !== min : rank < min) return false;
    }
    if (f.db !== undefined && r.db !== f.db) return false;
    if (f.pid !== undefined && r.pid !== f.pid) return false;
    if (f.logger && r.logger !== f.logger && !r.logger?.startsWith(loggerDot)) return false;
    if (f.hideAccess && r.http) return false;
    if (f.since !== undefined && (r.ts === null || r.ts < f.since)) return false;
    if (f.until !== undefined && (r.ts === null || r.ts >= f.until)) return false;
    if (text || re) {
      // The whole line as written, so a search for a logger or a time finds it (as grep does).
      const all = r.raw
        ? recordText(r)
        : `${r.time} ${r.pid} ${r.level} ${r.db ?? "?"} ${r.logger}: ${recordText(r)}`;
      if (text && !all.toLowerCase().includes(text)) return false;
      if (re && !re.test(all)) return false;
    }
    return true;
  };
}

export type LevelCounts = Record<Level | "RAW", number>;

/** Counts per level for the records in view (the badges above the log). */
export function countLevels(records: Iterable<LogRecord>): LevelCounts {
  const counts: LevelCounts = { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0, CRITICAL: 0, RAW: 0 };
  for (const r of records) counts[r.level ?? "RAW"]++;
  return counts;
}
