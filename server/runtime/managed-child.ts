/**
 * Supervises a managed Odoo as a child of odoodeck (where the server has no systemd): spawns it
 * under the lifeline wrapper through the connection, restarts it when it dies unasked with an
 * exponential back-off, and stops it (wrapper's stdin closed, SIGKILL after a grace period).
 */
import type { Connection, RunningProcess } from "../connections/types.ts";
import { LIFELINE } from "./lifeline.ts";
import type { RuntimeStatus } from "./types.ts";

export interface BackoffOptions {
  /** First delay after a crash (default 1 s); doubles per crash in a row. */
  initialMs?: number;
  /** Longest delay (default 60 s). */
  maxMs?: number;
}

export type SupervisorEvent =
  | { type: "crashed"; exitCode: number; attempt: number; retryInMs: number }
  | { type: "respawned"; attempt: number; pid: number | null };

const STOP_GRACE_MS = 25_000;

export class ChildSupervisor {
  #proc: RunningProcess | null = null;
  #pid: number | null = null;
  #since: string | null = null;
  #wanted = false;
  #crashes = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #last: { code: number; retryAt: number } | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly argv: string[],
    private readonly backoff: BackoffOptions,
    private readonly onEvent: (e: SupervisorEvent) => void,
  ) {}

  /** The end of what Odoo wrote to stderr (a traceback before its logfile opened). */
  lastStderr = "";

  get pid(): number | null {
    return this.#pid;
  }

  /**
   * Spawns Odoo unless it runs already; resolves once the wrapper reported Odoo's pid. `once`
   * is added to this spawn only: a respawn after a crash runs without it.
   */
  async start(once: string[] = []): Promise<void> {
    this.#wanted = true;
    if (this.#proc) return;
    this.#clearTimer();
    await this.#spawn(once);
  }

  /** A run that got ready counts as healthy: the next crash starts the back-off over. */
  markHealthy(): void {
    this.#crashes = 0;
  }

  async stop(): Promise<void> {
    this.#wanted = false;
    this.#clearTimer();
    const proc = this.#proc;
    if (!proc) return;
    await proc.stdin?.close().catch(() => {});
    const done = await Promise.race([
      proc.exited.then(() => true).catch(() => true),
      Bun.sleep(STOP_GRACE_MS).then(() => false),
    ]);
    if (!done) {
      proc.kill("SIGKILL");
      await proc.exited.catch(() => {});
    }
  }

  status(): RuntimeStatus {
    if (this.#proc)
      return { state: "running", pid: this.#pid, since: this.#since, detail: `running (pid ${this.#pid})` };
    if (this.#wanted && this.#last)
      return {
        state: "error",
        pid: null,
        since: null,
        detail: `crashed (exit ${this.#last.code}), restart ${this.#crashes} in ${Math.max(0, this.#last.retryAt - Date.now())} ms`,
      };
    return { state: "stopped", pid: null, since: null, detail: this.#wanted ? "starting" : "stopped" };
  }

  async #spawn(once: string[] = []): Promise<void> {
    const proc = this.conn.spawn(["python3", "-c", LIFELINE, ...this.argv, ...once], { stdin: true });
    this.#proc = proc;
    this.#since = new Date().toISOString();
    void keepTail(proc.stderr, (t) => (this.lastStderr = t));
    this.#pid = await readPid(proc.stdout);
    proc.exited.then(
      (code) => this.#onExit(proc, code),
      () => this.#onExit(proc, -1),
    );
  }

  #onExit(proc: RunningProcess, code: number): void {
    if (proc !== this.#proc) return;
    this.#proc = null;
    this.#pid = null;
    if (!this.#wanted) return;
    const attempt = ++this.#crashes;
    const retryInMs = Math.min(
      (this.backoff.initialMs ?? 1000) * 2 ** (attempt - 1),
      this.backoff.maxMs ?? 60_000,
    );
    this.#last = { code, retryAt: Date.now() + retryInMs };
    this.onEvent({ type: "crashed", exitCode: code, attempt, retryInMs });
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#wanted || this.#proc) return;
      this.#spawn().then(
        () => this.onEvent({ type: "respawned", attempt, pid: this.#pid }),
        () => this.#onExit(this.#proc!, -1),
      );
    }, retryInMs);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}

/** Reads the wrapper's "odoodeck-odoo-pid:N" line, then drains the rest (Odoo logs to its file). */
async function readPid(stdout: ReadableStream<Uint8Array>): Promise<number | null> {
  const reader = stdout.getReader();
  let head = "";
  while (!head.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    head += new TextDecoder().decode(value);
  }
  void (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done);
  })();
  const m = /^odoodeck-odoo-pid:(\d+)/.exec(head);
  return m ? Number(m[1]) : null;
}

async function keepTail(stream: ReadableStream<Uint8Array>, set: (tail: string) => void): Promise<void> {
  let tail = "";
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream)
      set((tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096)));
  } catch {
    // The link dropped: what we have is what there is.
  }
}
