import { type AppContext, AppError, type Connection, sseStream, toAppError } from "odoodeck/sdk";
import { compileFilter, countLevels, type LevelCounts, type LogFilter } from "../search/filter.ts";
import { followSource } from "../follow/follow-source.ts";
import type { FollowHub } from "../follow/follow-hub.ts";
import { CURSOR_RE, type FollowEvent } from "../follow/follow.ts";
import type { LogRecord } from "../parse/record.ts";
import type { LogSource } from "../sources/sources.ts";

/** Text produced ahead of a slow reader, at most (then the producer waits: memory stays bounded). */
const AHEAD_BYTES = 256 * 1024;

/**
 * A streamed answer built from an async iterator of text chunks. The iterator runs ahead of the
 * client by at most AHEAD_BYTES; each read takes everything produced so far as one chunk, so
 * dense results go out in large writes and sparse ones at once. A client that goes away aborts
 * `ac`, which stops the command behind the iterator (grep, tail) on the server.
 */
export async function streamedResponse(
  c: AppContext,
  ac: AbortController,
  chunks: AsyncGenerator<string>,
  headers: Record<string, string>,
): Promise<Response> {
  const enc = new TextEncoder();
  const onGone = () => ac.abort();
  c.req.raw.signal.addEventListener("abort", onGone, { once: true });
  const finish = () => {
    c.req.raw.signal.removeEventListener("abort", onGone);
    ac.abort();
  };
  // The first chunk is produced before answering, so an early failure (missing file, bad
  // pattern) is a normal error answer with its code and status rather than a broken stream.
  let first: IteratorResult<string>;
  try {
    first = await chunks.next();
  } catch (e) {
    finish();
    throw e;
  }
  let queue: string[] = first.done ? [] : [first.value];
  let queued = queue[0]?.length ?? 0;
  let done = !!first.done;
  let failure: unknown = null;
  let wakeReader: (() => void) | null = null;
  let wakePump: (() => void) | null = null;
  const pump = async () => {
    try {
      while (!done && !ac.signal.aborted) {
        if (queued >= AHEAD_BYTES) {
          await new Promise<void>((r) => {
            wakePump = r;
          });
          continue;
        }
        const r = await chunks.next();
        if (r.done) done = true;
        else {
          queue.push(r.value);
          queued += r.value.length;
        }
        wakeReader?.();
      }
    } catch (e) {
      failure = e;
    } finally {
      done = true;
      wakeReader?.();
    }
  };
  let pumping = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!pumping) {
        pumping = true;
        void pump();
      }
      while (!queue.length && !done)
        await new Promise<void>((r) => {
          wakeReader = r;
        });
      if (queue.length) {
        const text = queue.join("");
        queue = [];
        queued = 0;
        wakePump?.();
        controller.enqueue(enc.encode(text));
      } else if (failure) {
        finish();
        controller.error(failure);
      } else {
        finish();
        controller.close();
      }
    },
    async cancel() {
      finish();
      wakePump?.();
      await chunks.return(undefined).catch(() => {});
    },
  });
  return new Response(body, { headers: { "Cache-Control": "no-store", ...headers } });
}

const STATUS_TEXT: Record<string, string> = {
  rotated: "The log was rotated: following the new file",
  truncated: "The log was truncated: reading it again from the start",
  missing: "The log file was deleted: waiting for it to come back",
  reconnecting: "The link dropped: resuming from the last line received",
};

/**
 * Follow mode over Server-Sent Events. Each batch carries its cursor as the event id, so a
 * browser that reconnects sends it back as Last-Event-ID and resumes with no line lost or
 * repeated; batches the filter hides still move the cursor (an id-only "cursor" event). A "counts"
 * event before each batch says how many records per level it adds to the view's counters.
 */
export function followResponse(
  c: AppContext,
  conn: Connection,
  src: LogSource,
  filter: LogFilter,
  cursor: string | null,
  render: (records: LogRecord[]) => Promise<unknown> | unknown,
  hub: FollowHub,
): Response {
  const match = compileFilter(filter);
  // The page's level counters count what passes every filter but the level one.
  const counted = compileFilter({ ...filter, level: undefined, levelOnly: undefined });
  const ac = new AbortController();
  const signal = AbortSignal.any([c.req.raw.signal, ac.signal]);
  return sseStream(
    signal,
    (send) => {
      const run = async () => {
        try {
          for await (const ev of followSource(conn, src, {
            cursor,
            signal,
            hub,
          }) as AsyncGenerator<FollowEvent>) {
            const id = ev.cursor || undefined;
            if (ev.type === "records") {
              const add = countLevels(ev.records.filter(counted));
              // No id, so it never moves Last-Event-ID; `at` lets a client skip a batch twice sent.
              if (Object.values(add).some((n) => n > 0))
                send({ event: "counts", data: { at: ev.cursor, add: nonZero(add) } });
              const shown = ev.records.filter(match);
              if (shown.length) send({ id, event: "records", data: await render(shown) });
              else if (id) send({ id, event: "cursor", data: "" });
            } else if (ev.type === "started") send({ id, event: "started", data: { cursor: ev.cursor } });
            else send({ id, event: "status", data: { type: ev.type, message: STATUS_TEXT[ev.type] } });
          }
        } catch (e) {
          if (!signal.aborted) send({ event: "failed", data: toAppError(e).toJSON() });
        } finally {
          ac.abort();
        }
      };
      void run();
      return () => ac.abort();
    },
    // Bun (and proxies) close a connection idle for 10 s: beat well within that.
    { heartbeatMs: 5000, retryMs: 1000 },
  );
}

function nonZero(c: LevelCounts): Partial<LevelCounts> {
  return Object.fromEntries(Object.entries(c).filter(([, n]) => n > 0));
}

/** Last-Event-ID (a reconnect) wins over ?cursor= (the end of the page's window). */
export function followCursor(c: AppContext, src: LogSource): string | null {
  const raw = c.req.header("Last-Event-ID") || c.req.query("cursor") || null;
  if (!raw || src.kind !== "file") return null;
  if (!CURSOR_RE.test(raw))
    throw new AppError("E_VALIDATION", "The follow cursor is not valid", {
      hint: "Start following again without a cursor",
    });
  return raw;
}
