import { maskRecord } from "./mask.ts";
import type { LogRecord } from "./record.ts";

/** A record as Odoo wrote it (header, message, traceback), secrets masked: for downloads and the CLI. */
export function recordLines(rec: LogRecord): string {
  const r = maskRecord(rec);
  const head = r.raw ? r.message : `${r.time} ${r.pid} ${r.level} ${r.db ?? "?"} ${r.logger}: ${r.message}`;
  const cut = r.truncated ? " [cut: record over 64 KiB]" : "";
  return r.continuation.length ? `${head}${cut}\n${r.continuation.join("\n")}\n` : `${head}${cut}\n`;
}

/** A record for JSON answers, secrets masked (internal fields left out). */
export function recordJson(rec: LogRecord) {
  const r = maskRecord(rec);
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
