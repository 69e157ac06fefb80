import { AppError, type Connection, type RunningProcess } from "odoodeck/sdk";
import { RecordAssembler } from "../parse/assembler.ts";
import { FOLLOW_SCRIPT } from "./follow-script.ts";
import { LINE_COUNT_MAX } from "../read/line-count.ts";
import { streamLines } from "../parse/lines.ts";
import type { LogRecord } from "../parse/record.ts";

/**
 * Follows a log file like `tail -F`, through any Connection: new records within a poll interval,
 * across rotation (rename + new file), truncation and deletion, and across a dropped link.
 * Every batch carries a cursor "<dev>:<inode>:<offset>[:<line>]"; following again from it neither
 * loses nor repeats a line, even when the file was rotated in between. The line is the file line
 * number at that offset, so followed records carry the same line numbers as the view (issue 15.8).
 */
export type FollowEvent =
  | { type: "records"; records: LogRecord[]; cursor: string }
  | { type: "started" | "rotated" | "truncated" | "missing" | "reconnecting"; cursor: string };

export interface FollowOptions {
  /** Resume from here (from an earlier event). Without it, start at the end (or at 0 with fromStart). */
  cursor?: string;
  fromStart?: boolean;
  /** How often the server side looks for new bytes (default 100 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Consecutive failed (re)connections before giving up with E_CONNECTION_LOST (default 10). */
  maxRetries?: number;
}

interface Position {
  id: string;
  offset: number;
  /** File line number at `offset`; 0 when unknown. */
  line: number;
}

export const CURSOR_RE = /^(\d+:\d+):(\d+)(?::(\d+))?$/;

export function parseCursor(cursor: string): Position {
  const m = CURSOR_RE.exec(cursor);
  if (!m)
    throw new AppError("E_VALIDATION", "The follow cursor is not valid", {
      hint: "Start following again without a cursor",
    });
  return { id: m[1], offset: Number(m[2]), line: Number(m[3] ?? 0) };
}

export function formatCursor(p: Position): string {
  return p.line ? `${p.id}:${p.offset}:${p.line}` : `${p.id}:${p.offset}`;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export async function* followFile(
  conn: Connection,
  path: string,
  opts: FollowOptions = {},
): AsyncGenerator<FollowEvent> {
  const iv = (opts.intervalMs ?? 100) / 1000;
  const start = opts.cursor ? parseCursor(opts.cursor) : null;
  let pos: Position | null = start;
  let failures = 0;
  while (!opts.signal?.aborted) {
    // Without a known line number, the script counts the lines before where it starts.
    const count = pos?.line || (!pos && opts.fromStart) ? 0 : LINE_COUNT_MAX;
    const args = [
      path,
      pos?.id ?? "",
      pos ? String(pos.offset) : opts.fromStart ? "0" : "end",
      String(iv),
      String(count),
    ];
    const proc = conn.spawn(["sh", "-c", FOLLOW_SCRIPT, "odoodeck-follow", ...args], { signal: opts.signal });
    let progressed = false;
    const stop = () => proc.kill("SIGKILL");
    opts.signal?.addEventListener("abort", stop, { once: true });
    try {
      for await (const ev of readFrames(proc, path, pos, iv, opts.signal)) {
        if (ev.type === "started") {
          progressed = true;
          failures = 0;
        }
        pos = parseCursor(ev.cursor);
        yield ev;
      }
    } catch (e) {
      if (
        e instanceof AppError &&
        (e.code === "E_FILE_NOT_FOUND" || e.code === "E_PERMISSION") &&
        !progressed
      )
        throw e;
      if (opts.signal?.aborted) return;
    } finally {
      opts.signal?.removeEventListener("abort", stop);
      proc.kill("SIGKILL");
    }
    if (opts.signal?.aborted) return;
    // The link dropped or the script died: resume from the last cursor after a short pause.
    if (!progressed && ++failures > (opts.maxRetries ?? 10)) {
      throw new AppError("E_CONNECTION_LOST", `Lost the log stream of ${path} on ${conn.label}`, {
        hint: "Check that the server is reachable; following resumes from where it stopped",
      });
    }
    if (pos) yield { type: "reconnecting", cursor: formatCursor(pos) };
    await sleep(Math.min(5000, 200 * 2 ** failures), opts.signal);
  }
}

/** Turns the script's frames into records and status events. */
async function* readFrames(
  proc: RunningProcess,
  path: string,
  from: Position | null,
  iv: number,
  signal?: AbortSignal,
): AsyncGenerator<FollowEvent> {
  let id = from?.id ?? "";
  let asm = new RecordAssembler({ offset: from?.offset ?? 0, line: from?.line ?? 0 });
  let dataFor: string | null = null;
  // A link that went silent (no heartbeat) is treated as dropped.
  const silentMs = Math.max(5000, iv * 30_000);
  let lastSeen = Date.now();
  const watchdog = setInterval(() => Date.now() - lastSeen > silentMs && proc.kill("SIGKILL"), 1000);
  const cursor = () => asm.cursorFor(id);
  try {
    for await (const line of streamLines(proc.stdout, signal)) {
      lastSeen = Date.now();
      if (dataFor !== null) {
        const records = asm.push(Buffer.from(line, "base64"));
        // Odoo writes a record (traceback included) in one write: at the end of a frame it is whole.
        if (!asm.midLine) records.push(...asm.flush());
        dataFor = null;
        if (records.length) {
          for (const r of records) r.cursor = asm.cursorFor(id, r);
          yield { type: "records", records, cursor: cursor() };
        }
        continue;
      }
      const [kind, a, b, c] = line.split(" ");
      if (kind === "D") dataFor = a;
      else if (kind === "S") {
        // Nothing was read yet from this file: start at the script's offset and line count.
        if (a !== id || !from?.line)
          asm = new RecordAssembler({ offset: Number(b), line: /^\d+$/.test(c ?? "") ? Number(c) : 0 });
        id = a;
        yield { type: "started", cursor: cursor() };
      } else if (kind === "R" || kind === "T") {
        // The old file is finished (rotation) or gone (truncation): start over at byte 0.
        const rest = kind === "R" ? asm.end() : [];
        for (const r of rest) r.cursor = asm.cursorFor(id, r);
        if (rest.length) yield { type: "records", records: rest, cursor: cursor() };
        id = a;
        asm = new RecordAssembler({ offset: 0, line: 1 });
        yield { type: kind === "R" ? "rotated" : "truncated", cursor: cursor() };
      } else if (kind === "M") yield { type: "missing", cursor: cursor() };
      else if (kind === "E") throw startError(a, path);
    }
    const code = await proc.exited;
    if (!signal?.aborted)
      throw new AppError("E_CONNECTION_LOST", `The follow process for ${path} stopped (exit ${code})`);
  } finally {
    clearInterval(watchdog);
  }
}

function startError(reason: string, path: string): AppError {
  if (reason === "missing")
    return new AppError("E_FILE_NOT_FOUND", `The log file ${path} does not exist`, {
      hint: "Check `logfile` in odoo.conf, or whether Odoo logs to journald or docker instead",
    });
  return new AppError("E_PERMISSION", `The log file ${path} cannot be read`, {
    hint: "Give the connection's user read access, e.g. add it to the group that owns the log (often `adm` or `odoo`)",
  });
}
