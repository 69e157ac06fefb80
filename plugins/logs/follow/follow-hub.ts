import { AppError, type Connection } from "odoodeck/sdk";
import { RecordAssembler } from "../parse/assembler.ts";
import { type FollowEvent, followFile, parseCursor } from "./follow.ts";
import { readRange } from "../read/read-range.ts";

/**
 * Follow processes held open per SSH server. A follower holds one SSH channel for as long as it
 * runs, and the connection pool has 8 channels per server; past them every other command on that
 * server would queue behind the followers (pages, checks, backups). Half stay free.
 */
export const MAX_FOLLOWERS_PER_SSH = 4;
/** A client further behind than this reads its own way instead of catching up from a shared one. */
const CATCH_UP_MAX = 8 * 1024 * 1024;
/** A follower without clients lingers this long, so a pause/resume or a reconnect reuses it. */
const LINGER_MS = 3000;

class Subscriber {
  private queue: FollowEvent[] = [];
  private held: FollowEvent[] | null = null;
  private wake: (() => void) | null = null;
  private error: unknown = null;
  private ended = false;
  /** Records before this position (same file) were already delivered to this client. */
  skip: { id: string; offset: number } | null = null;

  deliver(ev: FollowEvent): void {
    let out: FollowEvent | null = ev;
    if (ev.type === "records" && this.skip) {
      const at = parseCursor(ev.cursor);
      if (at.id !== this.skip.id) this.skip = null;
      else {
        const { offset } = this.skip;
        const records = ev.records.filter((r) => r.offset >= offset);
        if (at.offset >= offset) this.skip = null;
        out = records.length ? { ...ev, records } : null;
      }
    }
    if (!out) return;
    if (this.held) this.held.push(out);
    else this.push(out);
  }

  push(ev: FollowEvent): void {
    this.queue.push(ev);
    this.wake?.();
  }

  /** Live events wait while the client catches up from its cursor. */
  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const ev of held) this.push(ev);
  }

  fail(e: unknown): void {
    this.error = e;
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *events(signal?: AbortSignal): AsyncGenerator<FollowEvent> {
    const onAbort = () => this.wake?.();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      while (!signal?.aborted) {
        const ev = this.queue.shift();
        if (ev) {
          yield ev;
          continue;
        }
        if (this.error) throw this.error;
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

class Follower {
  readonly subs = new Set<Subscriber>();
  readonly startCursor: string | null;
  /** Cursor of the last event: where every subscriber is. */
  pos: string | null = null;
  private readonly ac = new AbortController();
  private linger: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly conn: Connection,
    readonly path: string,
    cursor: string | null,
    intervalMs: number | undefined,
    private readonly onEnd: (f: Follower) => void,
  ) {
    this.startCursor = cursor;
    void this.run(cursor, intervalMs);
  }

  private async run(cursor: string | null, intervalMs: number | undefined) {
    try {
      for await (const ev of followFile(this.conn, this.path, {
        cursor: cursor ?? undefined,
        signal: this.ac.signal,
        intervalMs,
      })) {
        this.pos = ev.cursor || this.pos;
        for (const s of this.subs) s.deliver(ev);
      }
      for (const s of this.subs) s.end();
    } catch (e) {
      for (const s of this.subs) s.fail(e);
    } finally {
      this.onEnd(this);
    }
  }

  add(s: Subscriber): void {
    if (this.linger) clearTimeout(this.linger);
    this.linger = null;
    this.subs.add(s);
  }

  remove(s: Subscriber): void {
    this.subs.delete(s);
    if (this.subs.size || this.linger) return;
    this.linger = setTimeout(() => this.ac.abort(), LINGER_MS);
    (this.linger as { unref?: () => void }).unref?.();
  }

  stop(): void {
    this.ac.abort();
  }
}

/**
 * One follow process per (server, file), shared by every client following that file: ten tabs
 * on the production log cost one remote `sh`, not ten. A client joining with a cursor behind the
 * shared follower first gets the bytes in between (read once), then the live stream, so what it
 * receives is the same as if it had followed on its own: nothing lost, nothing twice.
 */
export class FollowHub {
  private readonly shared = new WeakMap<Connection, Map<string, Follower>>();
  /** Followers and command streams (journald, docker) holding a channel, per connection. */
  private readonly running = new WeakMap<Connection, Set<object>>();
  private readonly all = new Set<Follower>();

  /** Follow processes running on this connection (shared and private). */
  count(conn: Connection): number {
    return this.running.get(conn)?.size ?? 0;
  }

  async *follow(
    conn: Connection,
    path: string,
    opts: { cursor?: string | null; signal?: AbortSignal; intervalMs?: number } = {},
  ): AsyncGenerator<FollowEvent> {
    const want = opts.cursor ? parseCursor(opts.cursor) : null;
    const byPath = this.shared.get(conn) ?? new Map<string, Follower>();
    this.shared.set(conn, byPath);
    const sub = new Subscriber();
    let f = byPath.get(path);
    let catchUp: { from: number; to: number; id: string; line: number; atLine: number } | null = null;
    const at = f?.pos ? parseCursor(f.pos) : null;
    if (f && !at && (opts.cursor ?? null) === f.startCursor) {
      // Not started yet, from the same place: its own "started" event will come.
    } else if (f && at && !want) {
      sub.push({ type: "started", cursor: f.pos! });
    } else if (
      f &&
      at &&
      want &&
      want.id === at.id &&
      want.offset <= at.offset &&
      at.offset - want.offset <= CATCH_UP_MAX
    ) {
      sub.push({ type: "started", cursor: opts.cursor! });
      if (want.offset < at.offset)
        catchUp = { from: want.offset, to: at.offset, id: at.id, line: want.line, atLine: at.line };
    } else if (f && at && want && want.id === at.id && want.offset > at.offset) {
      sub.push({ type: "started", cursor: opts.cursor! });
      sub.skip = want;
    } else {
      // No follower to join (or one this client cannot join): start one, shared if none is.
      const mine = this.start(conn, path, opts.cursor ?? null, opts.intervalMs, !f);
      f = mine;
    }
    f.add(sub);
    try {
      if (catchUp) {
        sub.hold();
        const bytes = await readRange(conn, path, catchUp.from, catchUp.to - catchUp.from, opts.signal);
        // A cursor without its line number: count back from the shared follower's.
        const line = catchUp.line || (catchUp.atLine ? catchUp.atLine - lineBreaks(bytes) : 0);
        const asm = new RecordAssembler({ offset: catchUp.from, line });
        const records = [...asm.push(bytes), ...asm.end()];
        for (const r of records) r.cursor = asm.cursorFor(catchUp.id, r);
        if (records.length) sub.push({ type: "records", records, cursor: asm.cursorFor(catchUp.id) });
        sub.release();
      }
      yield* sub.events(opts.signal);
    } finally {
      f.remove(sub);
    }
  }

  /** Takes a follow slot on the connection (a command stream); returns its release. */
  acquire(conn: Connection): () => void {
    const running = this.slots(conn);
    const token = {};
    running.add(token);
    return () => running.delete(token);
  }

  private slots(conn: Connection): Set<object> {
    const running = this.running.get(conn) ?? new Set<object>();
    this.running.set(conn, running);
    if (conn.kind === "ssh" && running.size >= MAX_FOLLOWERS_PER_SSH)
      throw new AppError("E_BUSY", `Already following ${running.size} logs on ${conn.label}`, {
        hint: `At most ${MAX_FOLLOWERS_PER_SSH} logs of one SSH server are followed at once, so other work on it is not starved; pause or close another Logs tab of that server`,
      });
    return running;
  }

  private start(
    conn: Connection,
    path: string,
    cursor: string | null,
    intervalMs: number | undefined,
    share: boolean,
  ): Follower {
    const running = this.slots(conn);
    const f = new Follower(conn, path, cursor, intervalMs, (done) => {
      running.delete(done);
      this.all.delete(done);
      const byPath = this.shared.get(conn);
      if (byPath?.get(path) === done) byPath.delete(path);
    });
    running.add(f);
    this.all.add(f);
    if (share) this.shared.get(conn)!.set(path, f);
    return f;
  }

  /** Stops every follower (plugin stop). */
  stopAll(): void {
    for (const f of this.all) f.stop();
  }
}

function lineBreaks(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

const hubs = new WeakMap<object, FollowHub>();

/** One hub per plugin context (pages, API and stop() share it). */
export function hubOf(ctx: object): FollowHub {
  let h = hubs.get(ctx);
  if (!h) hubs.set(ctx, (h = new FollowHub()));
  return h;
}
