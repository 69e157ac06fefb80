/**
 * One supervised `pg_receivewal` per instance: streams WAL into the archive folder through a
 * physical replication slot (so the server keeps WAL while odoodeck is down — at the cost of disk
 * on the server, shown as slot lag on the card). Not `--synchronous`: segments are written as
 * WAL arrives and fsynced when closed, which is what an RPO of seconds needs without slowing the
 * instance's commits. It runs under the backup plugin's lifeline watchdog, so it dies with
 * odoodeck (even on kill -9) instead of lingering as an orphan; crashes restart it with back-off.
 */
import type { PgTarget } from "../restore/restore-pg.ts";
import { withLifeline } from "../archive/lifeline.ts";
import { asClusterUser, kill, pgBin, replicationArgs, runLocal, toolEnv } from "./tools.ts";

export interface ReceiverOptions {
  pg: PgTarget;
  walDir: string;
  slot: string;
  /** First delay after a crash (default 1 s), doubling up to maxMs (default 60 s). */
  initialMs?: number;
  maxMs?: number;
  onEvent?: (e: { type: "crashed"; code: number; stderr: string; retryInMs: number }) => void;
}

export interface ReceiverStatus {
  state: "running" | "stopped" | "retrying";
  pid: number | null;
  since: string | null;
  restarts: number;
  lastError: string | null;
}

type Child = ReturnType<typeof Bun.spawn>;

/** Slot names allow [a-z0-9_] only. */
export function slotName(instanceId: number): string {
  return `odoodeck_wal_${instanceId}`;
}

/**
 * Creates the physical slot if missing, holding WAL from this moment on (RESERVE_WAL).
 * `pg_receivewal --create-slot` makes a slot that holds nothing until the receiver first confirms
 * a position, and it confirms only at a segment's end: a checkpoint in between (a base backup's,
 * which switches segments first) removed the segment being streamed — "requested WAL segment …
 * has already been removed" on every retry, seen on a freshly rewound cluster.
 */
export async function createSlot(pg: PgTarget, slot: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(slot)) throw new Error(`bad slot name ${slot}`);
  try {
    await runLocal(
      asClusterUser([
        pgBin("psql"),
        "-X",
        "-q",
        ...replicationArgs(pg),
        "-d",
        "dbname=postgres replication=true",
        "-c",
        `CREATE_REPLICATION_SLOT ${slot} PHYSICAL RESERVE_WAL`,
      ]),
      { env: toolEnv(pg), what: "CREATE_REPLICATION_SLOT" },
    );
  } catch (e) {
    if (!/already exists/.test((e as Error).message)) throw e;
  }
}

export class WalReceiver {
  #proc: Child | null = null;
  #wanted = false;
  #since: string | null = null;
  #crashes = 0;
  #restarts = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #lastError: string | null = null;

  constructor(private readonly o: ReceiverOptions) {}

  /** The process group of the wrapper (pg_receivewal runs inside it). */
  get pid(): number | null {
    return this.#proc?.pid ?? null;
  }

  /** Creates the slot if missing, then starts streaming (idempotent). */
  async start(): Promise<void> {
    this.#wanted = true;
    if (this.#proc) return;
    await createSlot(this.o.pg, this.o.slot);
    this.#spawn();
  }

  async stop(): Promise<void> {
    this.#wanted = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const p = this.#proc;
    if (!p) return;
    // SIGINT: pg_receivewal fsyncs the current segment and exits; the watchdog goes with it.
    kill(p.pid, "SIGINT");
    const done = await Promise.race([p.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
    if (!done) kill(p.pid, "SIGKILL");
    await p.exited;
  }

  status(): ReceiverStatus {
    const state = this.#proc ? "running" : this.#wanted ? "retrying" : "stopped";
    return {
      state,
      pid: this.pid,
      since: this.#since,
      restarts: this.#restarts,
      lastError: this.#lastError,
    };
  }

  #spawn(): void {
    const argv = asClusterUser([
      pgBin("pg_receivewal"),
      ...replicationArgs(this.o.pg),
      "-D",
      this.o.walDir,
      "--slot",
      this.o.slot,
      "--no-loop", // a dropped link ends it; we restart with back-off and record why
      "--status-interval",
      "1",
    ]);
    const p = Bun.spawn(["sh", "-c", withLifeline('"$@"'), "sh", ...argv], {
      env: { ...process.env, ...toolEnv(this.o.pg) },
      stdin: "pipe", // its end is the lifeline: only this process holds the write side
      stdout: "ignore",
      stderr: "pipe",
      detached: true,
    });
    this.#proc = p;
    this.#since = new Date().toISOString();
    const stderr = new Response(p.stderr).text().catch(() => "");
    p.exited.then(async (code) => this.#onExit(p, code, (await stderr).trim()));
  }

  #onExit(p: Child, code: number, stderr: string): void {
    if (p !== this.#proc) return;
    this.#proc = null;
    if (!this.#wanted) return;
    this.#lastError = stderr.split("\n").slice(-3).join("\n") || `exit code ${code}`;
    const retryInMs = Math.min((this.o.initialMs ?? 1000) * 2 ** this.#crashes++, this.o.maxMs ?? 60_000);
    this.o.onEvent?.({ type: "crashed", code, stderr: this.#lastError, retryInMs });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#wanted || this.#proc) return;
      this.#restarts++;
      this.#spawn();
    }, retryInMs);
  }
}
