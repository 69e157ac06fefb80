import { AppError, type Connection } from "odoodeck/sdk";
import { RecordAssembler } from "../parse/assembler.ts";
import { WindowCollector } from "./collector.ts";
import { fileIdentity } from "./file-id.ts";
import type { LevelCounts, LogFilter } from "../search/filter.ts";
import { findOffsetAtTime } from "./jump.ts";
import { lineBreaksBefore } from "./line-count.ts";
import type { LogRecord } from "../parse/record.ts";
import { type LogSource, sourceCommand } from "../sources/sources.ts";

/**
 * One view of a log: the end of the file (tail), or the part starting at a time (jump), read with
 * a byte limit, so a view costs the same on a 10 KB and a 10 GB file. Search reads everything.
 */
export interface WindowOptions {
  filter: LogFilter;
  maxRecords: number;
  maxBytes: number;
  signal?: AbortSignal;
  /** Only records that start before this byte offset: the window above one already shown. */
  before?: number;
  /** Start at this byte offset (where a record starts): a jump link to one record. */
  at?: number;
}

export interface LogWindow {
  records: LogRecord[];
  counts: LevelCounts;
  /** Lines and records read (whatever the filter). */
  lines: number;
  total: number;
  /** Records that matched; `matched - records.length` were left out (over the cap). */
  matched: number;
  /** Byte range read; from > 0: older bytes were not read; to < size: newer ones were not. */
  from: number;
  to: number;
  size: number | null;
  mode: "tail" | "from-time" | "at" | "head" | "command";
  /** The file's identity (dev:ino), so a later "earlier records" request reads the same file. */
  file: string | null;
  /** Matching records may exist before those shown: read them with `before` set to this offset. */
  earlier: number | null;
  /** Where following this view continues without a gap or a repeat (plain files read to the end). */
  cursor: string | null;
}

export async function readWindow(conn: Connection, src: LogSource, opts: WindowOptions): Promise<LogWindow> {
  if (src.kind !== "file") return commandWindow(conn, src, opts);
  if (src.compressed) return gzipWindow(conn, src.path, opts);
  const { id, size } = await fileIdentity(conn, src.path, opts.signal);
  const { lo, from, to, mode } = await windowRange(conn, src.path, size, opts);
  const coll = new WindowCollector(opts.filter, opts.maxRecords, mode === "tail");
  const asm = await readRange(conn, src.path, from, to, coll, opts.signal);
  let cursor: string | null = null;
  for (const r of asm.flush()) coll.add(r);
  if (to === size && !coll.done) {
    // Following resumes after the last whole line; a last line without its line break (still
    // being written, or a file that ends so) is shown, and the follower delivers it again whole.
    cursor = asm.cursorFor(id);
    for (const r of asm.end()) coll.add(r);
  }
  const w = result(coll, from, to, size, mode, cursor, id);
  const hidden = from > lo || (mode === "tail" && w.matched > w.records.length);
  w.earlier = hidden ? (w.records[0]?.offset ?? from) : null;
  return w;
}

/**
 * The bytes [from, to) a window reads, at most `maxBytes`: from a position or a time forward, else
 * back from the end (or from `before`, or from `until`). `lo` is where the view starts: nothing
 * before the time asked for is part of it.
 */
async function windowRange(conn: Connection, path: string, size: number, opts: WindowOptions) {
  const { filter: f, maxBytes, signal } = opts;
  const lo = f.since !== undefined ? await findOffsetAtTime(conn, path, f.since, signal) : 0;
  if (opts.before === undefined && (opts.at !== undefined || f.since !== undefined)) {
    const mode: LogWindow["mode"] = opts.at !== undefined ? "at" : "from-time";
    const from = Math.min(size, opts.at ?? lo);
    return { lo, from, to: Math.min(size, from + maxBytes), mode };
  }
  let to = f.until !== undefined ? await findOffsetAtTime(conn, path, f.until, signal) : size;
  if (opts.before !== undefined) to = Math.min(to, opts.before);
  return { lo, from: Math.max(lo, to - maxBytes), to, mode: "tail" as LogWindow["mode"] };
}

/**
 * Feeds [from, to) of a file to the collector; from the middle of a file, skips the cut first line.
 * It starts one byte early, so a `from` where a line starts (a record's offset) loses nothing, and
 * counts the lines before, so records carry file line numbers whatever part is read (issue 15.8).
 */
async function readRange(
  conn: Connection,
  path: string,
  from: number,
  to: number,
  coll: WindowCollector,
  signal?: AbortSignal,
): Promise<RecordAssembler> {
  let asm: RecordAssembler | null = from === 0 ? new RecordAssembler({ offset: 0, line: 1 }) : null;
  if (to <= from) return asm ?? new RecordAssembler({ offset: from, line: 0 });
  let pos = from === 0 ? 0 : from - 1;
  // The first whole line follows the first line break read: one more than those before `pos`.
  const breaks = asm ? 0 : await lineBreaksBefore(conn, path, pos, signal);
  const firstLine = breaks === null ? 0 : breaks + 2;
  const reader = conn.readFile(path, { start: pos, signal }).getReader();
  try {
    while (pos < to && !coll.done) {
      const { done, value } = await reader.read();
      if (done) break;
      let chunk = value.length > to - pos ? value.subarray(0, to - pos) : value;
      const at = pos;
      pos += chunk.length;
      if (!asm) {
        const nl = chunk.indexOf(10);
        if (nl === -1) continue;
        asm = new RecordAssembler({ offset: at + nl + 1, line: firstLine });
        chunk = chunk.subarray(nl + 1);
      }
      for (const r of asm.push(chunk)) coll.add(r);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return asm ?? new RecordAssembler({ offset: pos, line: 0 });
}

/** A rotated .gz has no random access: the view is its first `maxBytes` once decompressed. */
async function gzipWindow(conn: Connection, path: string, opts: WindowOptions): Promise<LogWindow> {
  const proc = conn.spawn(["gzip", "-dc", "--", path], { signal: opts.signal });
  const stderr = new Response(proc.stderr).text().catch(() => "");
  const coll = new WindowCollector(opts.filter, opts.maxRecords, false);
  const asm = new RecordAssembler({ offset: 0, line: 1 });
  let pos = 0;
  let cut = false;
  const reader = proc.stdout.getReader();
  try {
    while (!coll.done) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = opts.maxBytes - pos;
      const chunk = value.length > room ? value.subarray(0, room) : value;
      pos += chunk.length;
      for (const r of asm.push(chunk)) coll.add(r);
      if (pos >= opts.maxBytes) {
        cut = true;
        break;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
    proc.kill("SIGKILL");
  }
  for (const r of cut ? asm.flush() : asm.end()) coll.add(r);
  if (!cut && !coll.done) {
    const code = await proc.exited.catch(() => 1);
    if (code !== 0 && coll.total === 0)
      throw new AppError("E_COMMAND_FAILED", `${path} could not be decompressed`, {
        hint: "The file may be damaged, or not gzip at all",
        details: (await stderr).slice(0, 500),
      });
  }
  return result(coll, 0, pos, cut ? null : pos, "head", null, null);
}

/** journald or docker: the last lines the command prints (stderr included for docker). */
async function commandWindow(
  conn: Connection,
  src: Exclude<LogSource, { kind: "file" }>,
  opts: WindowOptions,
): Promise<LogWindow> {
  const cmd = sourceCommand(src, { lines: Math.min(100_000, opts.maxRecords * 5) });
  const proc = conn.spawn(mergeStderr(cmd), { signal: opts.signal, timeoutMs: 60_000 });
  const coll = new WindowCollector(opts.filter, opts.maxRecords, true);
  // A command's output has no file line numbers.
  const asm = new RecordAssembler({ offset: 0, line: 0 });
  let pos = 0;
  const reader = proc.stdout.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      pos += value.length;
      for (const r of asm.push(value)) coll.add(r);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const code = await proc.exited.catch(() => 1);
  const rest = asm.end();
  if (code !== 0) {
    const said = [...coll.records(), ...rest].map((r) => r.message).join("\n");
    throw new AppError("E_COMMAND_FAILED", `\`${cmd.slice(0, 2).join(" ")}\` failed on ${conn.label}`, {
      hint:
        src.kind === "docker"
          ? "Check that docker runs there and the connection's user may use it (group docker)"
          : "Check the unit name and that the connection's user may read the journal (group systemd-journal)",
      details: said.slice(-500),
    });
  }
  for (const r of rest) coll.add(r);
  return result(coll, 0, pos, pos, "command", null, null);
}

/** Runs a command with its stderr on stdout (docker logs replays the container's stderr there). */
export function mergeStderr(cmd: string[]): string[] {
  return ["sh", "-c", 'exec "$@" 2>&1', "odoodeck-logs", ...cmd];
}

function result(
  coll: WindowCollector,
  from: number,
  to: number,
  size: number | null,
  mode: LogWindow["mode"],
  cursor: string | null,
  file: string | null,
): LogWindow {
  return {
    records: coll.records(),
    counts: coll.counts,
    lines: coll.lines,
    total: coll.total,
    matched: coll.matched,
    from,
    to,
    size,
    mode,
    cursor,
    file,
    earlier: null,
  };
}
