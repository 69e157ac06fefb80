/**
 * One remote command on an SSH channel, shaped as a RunningProcess. stdout/stderr end only once
 * the exit status is known, so a dropped link errors them instead of looking like a short
 * output; `exited` rejects with E_CONNECTION_LOST rather than hanging.
 */
import { constants } from "node:os";
import type { Readable } from "node:stream";
import type { ClientChannel } from "ssh2";
import { AppError, isAppError } from "../errors.ts";
import { cancelled, timedOut } from "./errors-map.ts";
import { fileChunks, noteStreamed } from "./streams.ts";
import type { EarlyChannelState, SshPool } from "./ssh-pool.ts";
import type { RunningProcess } from "./types.ts";

type Signal = "SIGTERM" | "SIGKILL" | "SIGINT";
const GRACE_MS = 1000;

/** A web stream fed later by a Node readable, with backpressure, ended only when `settle` says so. */
class Pipe {
  #ctrl!: ReadableStreamDefaultController<Uint8Array>;
  #src: Readable | null = null;
  #ended = false;
  #settled: { err?: Error } | null = null;
  #done = false;
  readonly stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (this.#ctrl = c),
      pull: () => void this.#src?.resume(),
      cancel: () => {
        this.#done = true;
        this.#src?.resume(); // keep draining so the channel can finish
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 1024 * 1024 }),
  );

  #head: Buffer | null = null;
  #onPid: ((pid: number) => void) | null = null;
  /** First 4 KiB that went through, to recognise known failures even if nobody reads the stream. */
  seen = "";

  /** Strips the `odoodeck-pid:N` line the wrapper prints first, and reports N. */
  expectPid(fn: (pid: number) => void): void {
    this.#head = Buffer.alloc(0);
    this.#onPid = fn;
  }

  attach(src: Readable): void {
    this.#src = src;
    src.on("data", (data: Buffer) => {
      let chunk = data;
      if (this.#head) {
        const head = Buffer.concat([this.#head, chunk]);
        const nl = head.indexOf(10);
        if (nl < 0 && head.length < 64) return void (this.#head = head);
        this.#head = null;
        const m = nl > 0 ? /^odoodeck-pid:(\d+)$/.exec(head.subarray(0, nl).toString()) : null;
        if (m) this.#onPid?.(Number(m[1]));
        chunk = m ? head.subarray(nl + 1) : head;
        if (!chunk.length) return;
      }
      if (this.seen.length < 4096) this.seen += chunk.toString("utf8", 0, 4096 - this.seen.length);
      if (this.#done) return;
      noteStreamed(chunk.byteLength);
      this.#ctrl.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if ((this.#ctrl.desiredSize ?? 1) <= 0) src.pause();
    });
    src.on("end", () => {
      this.#ended = true;
      this.#finish();
    });
  }

  settle(err?: Error): void {
    this.#settled ??= { err };
    if (err) this.#ended = true; // do not wait for an end that may never come
    this.#finish();
  }

  #finish(): void {
    if (this.#done || !this.#ended || !this.#settled) return;
    this.#done = true;
    try {
      if (this.#settled.err) this.#ctrl.error(this.#settled.err);
      else this.#ctrl.close();
    } catch {}
  }
}

export interface RemoteRunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * `true` gives the caller a writable stdin; bytes, a stream or a file (`Bun.file`) are written
   * then closed; absent closes it at once.
   */
  stdin?: boolean | string | Uint8Array | ReadableStream<Uint8Array> | Blob;
  /** With a file as stdin: bytes sent so far. */
  onStdinProgress?: (bytes: number) => void;
}

function signalNumber(name: string | undefined): number {
  const n = name
    ? (constants.signals as Record<string, number>)[`SIG${name.replace(/^SIG/, "")}`]
    : undefined;
  return 128 + (n ?? 9);
}

/**
 * Sends an SSH "signal" request (OpenSSH killpg()s the session with it). ssh2's own
 * `channel.signal()` is silently skipped once stdin was closed, which is exactly when we
 * usually need it, so this goes to the protocol layer directly.
 */
function sendSignal(ch: ClientChannel, name: string): void {
  const c = ch as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, n: string): void } };
  };
  if (c.outgoing && (c.outgoing.state === "open" || c.outgoing.state === "eof"))
    c._client?._protocol?.signal(c.outgoing.id, name);
}

/** Printed first on stderr (then stripped) so we can signal the process group without sshd's help. */
const ANNOUNCE_PID = `printf 'odoodeck-pid:%s\\n' "$$" >&2; `;

export function runRemote(
  pool: SshPool,
  argv: string[],
  command: string,
  opts: RemoteRunOptions = {},
): RunningProcess & { stderrHead(): string } {
  const out = new Pipe();
  const err = new Pipe();
  let pid: number | null = null;
  err.expectPid((n) => {
    pid = n;
    if (killedWith) killRemote(pool, n, killedWith.replace(/^SIG/, "")); // kill() came before the pid
  });
  let channel: ClientChannel | null = null;
  let reason: "timeout" | "abort" | null = null;
  let killedWith: Signal | null = null;
  let closeTimer: ReturnType<typeof setTimeout> | undefined;

  const kill = (sig: Signal = "SIGTERM") => {
    killedWith ??= sig;
    if (!channel) return;
    const ch = channel;
    const name = sig.replace(/^SIG/, "");
    try {
      sendSignal(ch, name);
    } catch {}
    // sshd ignores signal requests on root sessions (no privilege separation there): kill the
    // session's process group (sshd makes it a session leader) from a second channel too.
    if (pid) killRemote(pool, pid, name);
    // Servers that ignore signal requests still stop writing once the channel is gone.
    closeTimer ??= setTimeout(() => ch.close(), sig === "SIGKILL" ? 200 : GRACE_MS);
  };
  const stop = (why: "timeout" | "abort") => {
    reason ??= why;
    kill("SIGKILL");
  };
  const timer = opts.timeoutMs ? setTimeout(() => stop("timeout"), opts.timeoutMs) : undefined;
  const onAbort = () => stop("abort");
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  let stdinCtl: { resolve: (ch: ClientChannel) => void; reject: (e: unknown) => void } | null = null;
  const stdinReady = new Promise<ClientChannel>((resolve, reject) => (stdinCtl = { resolve, reject }));
  stdinReady.catch(() => {});

  const exited = (async () => {
    try {
      if (opts.signal?.aborted) throw cancelled(argv);
      const { link, channel: ch, release } = await pool.exec(ANNOUNCE_PID + command);
      channel = ch;
      // A write after the command quit (EPIPE's twin here) is an 'error' event: one without a
      // listener would be thrown and end odoodeck. The channel's close or the link's drop ends the
      // run with its exit status or E_CONNECTION_LOST instead.
      ch.on("error", () => {});
      ch.stderr.on("error", () => {});
      stdinCtl!.resolve(ch);
      let lost: AppError | null = null;
      let unsubscribe = () => {};
      out.attach(ch);
      err.attach(ch.stderr);
      if (killedWith) kill(killedWith);
      feedStdin(ch, opts.stdin, opts.onStdinProgress);
      // "close" waits for unread output to be consumed; a dropped link must not wait for that.
      const status = await new Promise<{ code: number | null; sig?: string }>((resolve) => {
        const early = ch as ClientChannel & EarlyChannelState;
        let st: { code: number | null; sig?: string } = early.earlyExit ?? { code: null };
        ch.on("exit", (code: number | null, sig?: string) => (st = { code, sig }));
        ch.on("close", () => resolve(early.earlyExit ?? st));
        if (early.earlyClosed) resolve(early.earlyExit ?? st);
        unsubscribe = link.onDrop((e) => {
          lost = e;
          resolve(st);
        });
      });
      release();
      unsubscribe();
      clearTimeout(closeTimer);
      if (reason === "timeout") throw timedOut(argv, opts.timeoutMs!);
      if (reason === "abort") throw cancelled(argv);
      if (status.code !== null) return status.code;
      if (status.sig) return signalNumber(status.sig);
      if (killedWith && !lost) return signalNumber(killedWith);
      throw (
        lost ??
        new AppError("E_CONNECTION_LOST", `The SSH channel running ${argv[0]} closed without an exit status`)
      );
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }
  })();
  exited.then(
    () => {
      out.settle();
      err.settle();
    },
    (e) => {
      const appErr = isAppError(e) ? e : new AppError("E_CONNECTION_LOST", (e as Error).message);
      stdinCtl!.reject(appErr);
      out.settle(appErr);
      err.settle(appErr);
    },
  );
  exited.catch(() => {});

  const stdin =
    opts.stdin === true
      ? new WritableStream<Uint8Array>({
          write: async (chunk) =>
            write(await stdinReady, chunk).catch(() => {
              throw new AppError("E_COMMAND_FAILED", `${argv[0]} stopped reading its input`, {
                hint: "Its exit code and error output say why",
              });
            }),
          close: async () => void (await stdinReady).end(),
          abort: async () => void (await stdinReady.catch(() => null))?.end(),
        })
      : null;
  return { stdout: out.stream, stderr: err.stream, stdin, exited, kill, stderrHead: () => err.seen };
}

function killRemote(pool: SshPool, pid: number, name: string): void {
  void pool
    .exec(`kill -s ${name} -- -${pid} 2>/dev/null || kill -s ${name} ${pid} 2>/dev/null`)
    .then(({ channel, release }) => {
      const done = () => {
        clearTimeout(timer);
        release();
      };
      const timer = setTimeout(() => {
        channel.close();
        release();
      }, 10_000);
      channel.on("close", done);
      channel.resume();
      channel.stderr.resume();
      channel.end();
    })
    .catch(() => {});
}

/**
 * Resolves once ssh2 has taken `chunk` into packets (its callback), so the buffer may be reused
 * and nothing queues up; rejects when the channel closed (the command stopped reading), so a
 * feeder never hangs.
 */
function write(ch: ClientChannel, chunk: Uint8Array): Promise<void> {
  if (ch.destroyed || !ch.writable) return Promise.reject(new Error("channel closed"));
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error("channel closed"));
    ch.once("close", onClose);
    ch.write(chunk, (e) => {
      ch.off("close", onClose);
      if (e) reject(e);
      else resolve();
    });
  });
}

function feedStdin(
  ch: ClientChannel,
  input: RemoteRunOptions["stdin"],
  onProgress?: (bytes: number) => void,
): void {
  if (input === true) return;
  if (input === undefined || input === false) return void ch.end();
  const path = input instanceof Blob ? (input as Blob & { name?: unknown }).name : undefined;
  if (input instanceof Blob && typeof path !== "string")
    return void input.arrayBuffer().then(
      (b) => ch.end(new Uint8Array(b)),
      () => ch.close(),
    );
  if (!(input instanceof ReadableStream) && !(input instanceof Blob))
    return void ch.end(typeof input === "string" ? Buffer.from(input) : input);
  // A file goes through one reused buffer: each write is awaited until ssh2 has taken it.
  const chunks =
    typeof path === "string" ? fileChunks(path, 256 * 1024) : (input as ReadableStream<Uint8Array>);
  void (async () => {
    try {
      let total = 0;
      for await (const chunk of chunks) {
        await write(ch, chunk);
        noteStreamed(chunk.byteLength);
        onProgress?.((total += chunk.byteLength));
      }
      ch.end();
    } catch {
      // The data source failed: no EOF, stop the command instead, so it never sees a "complete" input.
      try {
        sendSignal(ch, "KILL");
      } catch {}
      ch.close();
    }
  })();
}
