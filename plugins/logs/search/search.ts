import { AppError, type Connection } from "odoodeck/sdk";
import { readRecords } from "../parse/assembler.ts";
import { compileFilter, type LogFilter } from "./filter.ts";
import { grepPlan } from "./grep-plan.ts";
import { findOffsetAtTime } from "../read/jump.ts";
import { streamLines } from "../parse/lines.ts";
import { bodyLine, cleanLine, parseHeader } from "../parse/parser.ts";
import { recordContaining } from "../read/read-range.ts";
import type { LogRecord } from "../parse/record.ts";

/**
 * Searches one log file (plain or .gz) on the server without loading it: grep does the byte-level
 * scan where the filter allows (see grep-plan.ts), and only matching lines are parsed here; the
 * whole filter is then checked on complete records. Results stream in file order.
 */
export interface SearchOptions {
  filter: LogFilter;
  /** Stop after this many records (default 1000). */
  maxResults?: number;
  signal?: AbortSignal;
}

/** Lines after a match grep prints when tracebacks are likely (and in .gz files: no random access). */
const WIDE_CONTEXT = 60;

export async function* searchFile(
  conn: Connection,
  path: string,
  opts: SearchOptions,
): AsyncGenerator<LogRecord> {
  const st = await conn.stat(path);
  if (!st)
    throw new AppError("E_FILE_NOT_FOUND", `The log file ${path} does not exist`, {
      hint: "It may have been rotated away; list the log files again",
    });
  if (st.type !== "file")
    throw new AppError("E_VALIDATION", `${path} is not a file`, { hint: "Choose a log file, not a folder" });
  const match = compileFilter(opts.filter);
  const max = opts.maxResults ?? 1000;
  const plan = grepPlan(opts.filter);
  // Warnings and errors are rare and carry tracebacks: take their next lines from grep at once
  // rather than reading each record again afterwards.
  const context =
    isGz(path) ||
    (plan?.headerOnly && opts.filter.level && opts.filter.level !== "DEBUG" && opts.filter.level !== "INFO")
      ? WIDE_CONTEXT
      : 1;
  const source = plan
    ? grepRecords(conn, path, plan.args, context, opts.signal)
    : streamRecords(conn, path, opts.filter, opts.signal);
  let n = 0;
  for await (const r of source) {
    if (opts.signal?.aborted) return;
    if (!match(r)) continue;
    yield r;
    if (++n >= max) return;
  }
}

const isGz = (path: string) => path.endsWith(".gz");

/** No grep pattern expresses the filter: read the file here, from the first useful byte. */
async function* streamRecords(
  conn: Connection,
  path: string,
  f: LogFilter,
  signal?: AbortSignal,
): AsyncGenerator<LogRecord> {
  if (isGz(path)) {
    const proc = conn.spawn(["gzip", "-dc", "--", path], { signal });
    try {
      yield* readRecords(proc.stdout, { signal });
    } finally {
      proc.kill("SIGKILL");
    }
    return;
  }
  const start = f.since !== undefined ? await findOffsetAtTime(conn, path, f.since, signal) : 0;
  yield* readRecords(conn.readFile(path, { start, signal }), {
    offset: start,
    line: start === 0 ? 1 : 0,
    signal,
  });
}

const OUT_RE = /^(\d+)([:-])(\d+)[:-]/;

/** Runs grep on the server and rebuilds whole records around the lines it prints. */
async function* grepRecords(
  conn: Connection,
  path: string,
  patternArgs: string[],
  after: number,
  signal?: AbortSignal,
): AsyncGenerator<LogRecord> {
  const gz = isGz(path);
  const cmd = [
    "env",
    "LC_ALL=C",
    gz ? "zgrep" : "grep",
    "-n",
    "-b",
    "-a",
    "-A",
    String(after),
    ...patternArgs,
    "--",
    path,
  ];
  const proc = conn.spawn(cmd, { signal });
  const stderr = new Response(proc.stderr).text();
  let cur: LogRecord | null = null;
  let lastLine = 0;
  let contextRun = 0;
  let doneUpTo = -1; // byte offset up to which records were already produced
  // Finishes the record being built: on a plain file, fetch what the context did not show.
  const close = async (): Promise<LogRecord | null> => {
    const r = cur;
    cur = null;
    if (!r || r.offset < doneUpTo) return null;
    let full = r;
    // The context ran out inside the record: fetch the rest (a .gz file has no random access).
    if (!gz && contextRun >= after) full = (await recordContaining(conn, path, r.offset, signal)) ?? r;
    else if (gz && contextRun >= after) full.truncated = true;
    full.line = r.line;
    doneUpTo = full.end;
    return full;
  };
  try {
    for await (const raw of streamLines(proc.stdout, signal)) {
      const m = OUT_RE.exec(raw);
      if (!m) {
        if (raw === "--") {
          const r = await close();
          if (r) yield r;
        }
        continue;
      }
      const lineNo = Number(m[1]);
      const offset = Number(m[3]);
      const text = cleanLine(raw.slice(m[0].length));
      const isMatch = m[2] === ":";
      const header = parseHeader(text);
      const end = offset + Buffer.byteLength(text) + 1;
      if (cur && !header && lineNo === lastLine + 1) {
        // The next line of the same record (a traceback), matched or shown as context.
        cur.continuation.push(bodyLine(text));
        cur.end = end;
        contextRun = isMatch ? 0 : contextRun + 1;
        lastLine = lineNo;
        continue;
      }
      const r = await close();
      if (r) yield r;
      if (!isMatch || offset < doneUpTo) continue;
      lastLine = lineNo;
      contextRun = 0;
      if (header)
        cur = { offset, end, line: lineNo, continuation: [], truncated: false, raw: false, ...header };
      else if (!gz) {
        // A match inside a traceback: the record starts above it.
        const owner = await recordContaining(conn, path, offset, signal);
        if (owner && owner.offset >= doneUpTo) {
          doneUpTo = owner.end;
          owner.line = 0;
          yield owner;
        }
      } else {
        cur = {
          offset,
          end,
          line: lineNo,
          continuation: [],
          truncated: false,
          raw: true,
          time: null,
          ts: null,
          pid: null,
          level: null,
          db: null,
          logger: null,
          message: bodyLine(text),
        };
      }
    }
    const r = await close();
    if (r) yield r;
    const code = await proc.exited;
    if (code > 1 && !signal?.aborted) throw grepError(path, await stderr);
  } finally {
    proc.kill("SIGKILL");
  }
}

function grepError(path: string, stderr: string): AppError {
  if (/permission denied/i.test(stderr))
    return new AppError("E_PERMISSION", `The log file ${path} cannot be read`, {
      hint: "Give the connection's user read access to the log",
    });
  return new AppError("E_COMMAND_FAILED", `Searching ${path} failed`, {
    hint: "Check that grep (and zgrep for .gz files) is installed on the server",
    details: stderr.slice(0, 500),
  });
}
