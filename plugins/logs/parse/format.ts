import type { LogRecord } from "./record.ts";

/** A record as Odoo wrote it (header, message, traceback), secrets masked
 * (records are masked when parsed): for downloads and the CLI. */
export function recordLines(r: LogRecord): string {
  const head = r.raw ? r.message : `${r.time} ${r.pid} ${r.level} ${r.db ?? "?"} ${r.logger}: ${r.message}`;
  const cut = r.truncated ? " [cut: record over 64 KiB]" : "";
  return r.continuation.length ? `${head}${cut}\n${r.continuation.join("\n")}\n` : `${head}${cut}\n`;
}

/** A record for JSON answers, secrets masked (internal fields left out). */
export function recordJson(r: LogRecord) {
  return {
    offset: r.offset,
    end: r.end,
    line: r.line || null,
    time: r.time,
    pid: r.pid,
    level: r.level,
    db: r.db,
    logger: r.logger,
    message: r.message,
    continuation: r.continuation,
    truncated: r.truncated,
    raw: r.raw,
    ...(r.http ? { http: r.http } : {}),
  };
}
