/**
 * Keeps shipping while odoodeck runs: a pass starts when pg_receivewal closes a segment (it
 * renames `X.partial` to `X`, which the folder watch sees), when a base backup completes
 * (`kick()`), and every `intervalMs` anyway (a missed watch event, a destination that was down).
 * One pass at a time; a kick during a pass runs one more pass after it. Each destination is
 * shipped on its own: one unreachable destination does not hold up the others, and one that
 * fails is left alone until its back-off ends (doubling from `backoff.firstMs` up to
 * `backoff.capMs`, kept in its shipping state so health shows the error and the next try);
 * the first pass after it ships the whole backlog.
 */
import { type FSWatcher, watch } from "node:fs";
import type { Destination } from "../../destinations/types.ts";
import {
  type Backoff,
  DEFAULT_BACKOFF,
  forgetOtherDestinations,
  readState,
  recordShipError,
  type ShipResult,
  shipOnce,
} from "./shipper.ts";

export interface UnusableDestination {
  id: string;
  error: string;
}

export interface ShipLoopOptions {
  instanceId: number;
  archiveDir: string;
  walDir: string;
  /**
   * The destinations to ship to, asked before every pass (settings may change); one that could
   * not be set up (e.g. S3 not configured) comes as its id and the reason, shown as its failure.
   */
  destinations: () => Promise<Array<Destination | UnusableDestination>>;
  intervalMs?: number;
  /** Retention and `.partial` cadence, asked before every pass (settings may change). */
  policy?: () => Promise<{ keepBases?: number; partialEveryMs?: number }>;
  backoff?: Backoff;
  /** What was shipped. */
  log?: (line: string) => void;
  /** Why a pass failed (the next pass retries). */
  warn?: (line: string) => void;
}

export class ShipLoop {
  #timer: ReturnType<typeof setInterval> | null = null;
  #watcher: FSWatcher | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #abort = new AbortController();
  /** The last pass's results per destination (errors as messages). */
  last: Array<ShipResult | { dest: string; error: string; retryAt?: string | null }> = [];

  constructor(private readonly o: ShipLoopOptions) {}

  start(): void {
    if (this.#timer) return;
    this.#abort = new AbortController();
    this.#timer = setInterval(() => this.kick(), this.o.intervalMs ?? 10_000);
    try {
      this.#watcher = watch(this.o.walDir, (_ev, name) => {
        if (name && !String(name).endsWith(".partial")) this.kick();
      });
      this.#watcher.on("error", () => {});
    } catch {
      // no watch (folder missing yet): the interval still ships
    }
    this.kick();
  }

  /** Starts a pass now, or right after the running one. */
  kick(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && this.#timer);
    })().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#watcher?.close();
    this.#watcher = null;
    this.#abort.abort();
    await this.#running?.catch(() => {});
  }

  async #pass(): Promise<void> {
    let all: Array<Destination | UnusableDestination>;
    try {
      all = await this.o.destinations();
    } catch (e) {
      this.o.warn?.(`WAL shipping for instance ${this.o.instanceId}: ${(e as Error).message}`);
      return;
    }
    await forgetOtherDestinations(
      this.o.archiveDir,
      all.map((d) => d.id),
    );
    const backoff = this.o.backoff ?? DEFAULT_BACKOFF;
    const unusable = all.filter((d): d is UnusableDestination => "error" in d);
    for (const u of unusable) {
      if (await this.#waiting(u.id)) continue;
      this.o.warn?.(`WAL shipping to ${u.id} failed: ${u.error}`);
      await recordShipError(this.o.archiveDir, u.id, u.error, backoff);
    }
    const policy = (await this.o.policy?.().catch(() => null)) ?? {};
    const dests = all.filter((d): d is Destination => !("error" in d));
    this.last = await Promise.all(
      dests.map(async (dest) => {
        const waiting = await this.#waiting(dest.id);
        if (waiting) return { dest: dest.id, error: waiting.error, retryAt: waiting.retryAt };
        return shipOnce({ ...this.o, ...policy, dest, backoff, signal: this.#abort.signal }).catch((e) => {
          this.o.warn?.(`WAL shipping to ${dest.id} failed: ${(e as Error).message}`);
          return { dest: dest.id, error: (e as Error).message };
        });
      }),
    );
  }

  /** A destination in back-off: its last error and when it is tried again; null when due. */
  async #waiting(dest: string): Promise<{ error: string; retryAt: string } | null> {
    const st = await readState(this.o.archiveDir, dest).catch(() => null);
    if (!st?.retryAt || Date.parse(st.retryAt) <= Date.now()) return null;
    return { error: st.lastError ?? "failed", retryAt: st.retryAt };
  }
}
