import type { Connection } from "odoodeck/sdk";
import type { Level } from "../parse/record.ts";
import type { LogRecord } from "../parse/record.ts";
import { searchFile } from "./search.ts";

/**
 * "What went wrong lately": distinct errors grouped by logger + first line of the message, with
 * numbers and quoted values blanked so "Job #19" and "Job #20" are one error.
 */
export interface ErrorGroup {
  signature: string;
  level: Level;
  logger: string;
  /** The first line of the latest occurrence. */
  message: string;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** The last line of the traceback of the latest occurrence (the exception), if any. */
  exception?: string;
}

export function errorSignature(r: Pick<LogRecord, "logger" | "message">): string {
  const shape = r.message
    .replace(/0x[0-9a-f]+/gi, "#")
    .replace(/\d+/g, "#")
    .replace(/'[^']*'|"[^"]*"/g, "'…'")
    .slice(0, 300);
  const hash = new Bun.CryptoHasher("sha1").update(`${r.logger ?? ""}\n${shape}`).digest("hex");
  return hash.slice(0, 16);
}

/** Groups records (already filtered to errors) into distinct errors, most frequent first. */
export function groupErrors(records: Iterable<LogRecord>): ErrorGroup[] {
  const groups = new Map<string, ErrorGroup>();
  for (const r of records) {
    if (!r.level) continue;
    const sig = errorSignature(r);
    let g = groups.get(sig);
    if (!g) {
      g = {
        signature: sig,
        level: r.level,
        logger: r.logger ?? "",
        message: r.message,
        count: 0,
        firstSeen: r.time,
        lastSeen: r.time,
      };
      groups.set(sig, g);
    }
    g.count++;
    g.lastSeen = r.time ?? g.lastSeen;
    g.message = r.message;
    const last = r.continuation.at(-1)?.trim();
    if (last) g.exception = last;
  }
  return [...groups.values()].sort(
    (a, b) => b.count - a.count || (b.lastSeen ?? "").localeCompare(a.lastSeen ?? ""),
  );
}

/** Errors of the last `hours` before `now` (naive ms; default: the clock) across the given files. */
export async function errorsSummary(
  conn: Connection,
  paths: string[],
  opts: { hours: number; now?: number; minLevel?: Level; signal?: AbortSignal; maxRecords?: number },
): Promise<ErrorGroup[]> {
  const now = opts.now ?? Date.now() - new Date().getTimezoneOffset() * 60_000;
  const filter = {
    level: opts.minLevel ?? "ERROR",
    since: now - opts.hours * 3_600_000,
    until: now + 1,
  } as const;
  const found: LogRecord[] = [];
  for (const path of paths) {
    for await (const r of searchFile(conn, path, {
      filter,
      signal: opts.signal,
      maxResults: opts.maxRecords ?? 10_000,
    }))
      found.push(r);
  }
  return groupErrors(found);
}

/** The groups whose signature is not among those already known (for "new error" alerts). */
export function newErrors(groups: ErrorGroup[], known: Iterable<string>): ErrorGroup[] {
  const seen = new Set(known);
  return groups.filter((g) => !seen.has(g.signature));
}
