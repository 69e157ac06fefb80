/**
 * One log record: a header line (time, pid, level, database, logger, message) and the lines that
 * continue it (a Python traceback), or a single "raw" line when the log has no Odoo header.
 */
export const LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const;
export type Level = (typeof LEVELS)[number];

/** DEBUG < INFO < WARNING < ERROR < CRITICAL; raw records (no level) rank below everything. */
export function levelRank(level: Level | null): number {
  return level === null ? -1 : LEVELS.indexOf(level);
}

/** A werkzeug access line: `"GET /web HTTP/1.1" 200 - 12 0.004 0.020` (Odoo ≥ 16 adds the figures). */
export interface HttpAccess {
  ip: string;
  method: string;
  path: string;
  status: number;
  /** SQL queries the request ran, SQL time and total time; absent on older Odoo versions. */
  queries?: number;
  sqlMs?: number;
  durationMs?: number;
}

export interface LogRecord {
  /** Byte offset of the first line and just past the last line: `end` is where a reader resumes. */
  offset: number;
  end: number;
  /** 1-based line number of the first line in the file; 0 when unknown (read from the middle). */
  line: number;
  /** Lines the record spans in the file (header and continuation, lines over the cap included). */
  span?: number;
  /** As written by Odoo (server-local time, no zone), e.g. "2026-11-22 20:29:41,971". */
  time: string | null;
  /** `time` as milliseconds, read as if it were UTC: only for ordering and ranges. */
  ts: number | null;
  pid: number | null;
  level: Level | null;
  db: string | null;
  logger: string | null;
  message: string;
  /** Further lines of the record (traceback), without their line breaks. */
  continuation: string[];
  /** A line or the record went over the size cap; the rest was dropped. */
  truncated: boolean;
  /** No Odoo header: the whole line is in `message`. */
  raw: boolean;
  http?: HttpAccess;
  /** Where to resume following after this record (see follow.ts). */
  cursor?: string;
}

/** The whole text of a record, first line and continuation. */
export function recordText(r: LogRecord): string {
  return r.continuation.length ? `${r.message}\n${r.continuation.join("\n")}` : r.message;
}
