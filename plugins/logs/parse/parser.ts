import { masking } from "odoodeck/sdk";
import type { HttpAccess, Level, LogRecord } from "./record.ts";

/**
 * Odoo's format is `%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s`;
 * dbname is "?" outside a request or cron.
 */
const HEADER_RE =
  /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) (\d+) ([A-Z_]+) (\S+) ([^\s:]+): ?(.*)$/;
const ACCESS_RE = /^(\S+) - - \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) \S+(?: (\d+) ([\d.]+) ([\d.]+))?/;

export type ParsedHeader = Pick<
  LogRecord,
  "time" | "ts" | "pid" | "level" | "db" | "logger" | "message" | "http"
>;

function normalizeLevel(word: string): Level {
  if (word === "INFO" || word === "WARNING" || word === "ERROR" || word === "CRITICAL" || word === "DEBUG")
    return word;
  if (word === "WARN") return "WARNING";
  if (word === "FATAL") return "CRITICAL";
  // Odoo's extra levels (DEBUG_RPC, DEBUG_SQL…) sit at debug level.
  return word.startsWith("DEBUG") ? "DEBUG" : "INFO";
}

/** The header fields of an Odoo log line (message masked), or null when the line does not start a record. */
export function parseHeader(line: string): ParsedHeader | null {
  // Cheap test first: most continuation lines fail on the first character.
  const c = line.charCodeAt(0);
  if (c < 48 || c > 57) return null;
  const m = HEADER_RE.exec(line);
  if (!m) return null;
  const ts = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
  const logger = m[11];
  // Masked at birth: search, counts, summaries, downloads and follow never see the secret.
  const message = masking.maskText(m[12].trimEnd());
  const rec: ParsedHeader = {
    time: line.slice(0, 23),
    ts,
    pid: +m[8],
    level: normalizeLevel(m[9]),
    db: m[10] === "?" ? null : m[10],
    logger,
    message,
  };
  if (logger === "werkzeug") {
    const http = parseAccess(message);
    if (http) rec.http = http;
  }
  return rec;
}

/** Parses the message of a werkzeug access line. */
export function parseAccess(message: string): HttpAccess | undefined {
  const a = ACCESS_RE.exec(message);
  if (!a) return undefined;
  const http: HttpAccess = { ip: a[1], method: a[2], path: a[3], status: +a[4] };
  if (a[5] !== undefined) {
    http.queries = +a[5];
    http.sqlMs = Math.round(+a[6] * 1000 * 10) / 10;
    http.durationMs = Math.round((+a[6] + +a[7]) * 1000 * 10) / 10;
  }
  return http;
}

/** Parses "2026-11-22 20:30:01[,123]" or an ISO string into the naive-UTC milliseconds of `ts`. */
export function parseLogTime(text: string): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:[,.](\d{1,3}))?)?$/.exec(text.trim());
  if (!m) return null;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0), +(m[7] ?? "0").padEnd(3, "0"));
}

// Control characters other than tab would garble a terminal or a page: show them as U+FFFD.
const CONTROL_RE = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
const HAS_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** A line that continues a record or has no header, masked like a header's message. */
export function bodyLine(text: string): string {
  return masking.maskText(text);
}

/**
 * ANSI colour codes, as Odoo writes around the level name on a tty (`log_color`,
 * `\x1b[1;32m\x1b[1;49mINFO\x1b[0m`): dropped, or the line would not parse and be glued to the
 * record before it. The ERE form is for grep (the ESC byte itself, as LC_ALL=C grep reads it).
 */
const ANSI_RE = /\u001b\[[0-9;]*[A-Za-z]/g;
export const ANSI_ERE = "(\u001b\\[[0-9;]*m)*";

export function cleanLine(text: string): string {
  let t = text.endsWith("\r") ? text.slice(0, -1) : text;
  if (!HAS_CONTROL.test(t)) return t;
  t = t.replace(ANSI_RE, "");
  return HAS_CONTROL.test(t) ? t.replace(CONTROL_RE, "\ufffd") : t;
}
