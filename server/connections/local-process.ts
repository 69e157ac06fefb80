/**
 * Running commands on this machine: Bun.spawn with an argument array (no shell). Each child
 * gets its own process group so a timeout or cancel stops what it started too.
 */
import { existsSync } from "node:fs";
import { AppError } from "../errors.ts";
import { cancelled, commandNotFound, timedOut } from "./errors-map.ts";
import { collectText, DEFAULT_MAX_OUTPUT, fileChunks, noteStreamed, toByteStream } from "./streams.ts";
import type { ExecOptions, ExecResult, RunningProcess, SpawnOptions } from "./types.ts";

type Child = ReturnType<typeof Bun.spawn>;

function killGroup(p: Child, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.pid, signal);
  } catch {
    p.kill(signal);
  }
}

function start(
  argv: string[],
  opts: { env?: Record<string, string>; cwd?: string },
  stdin: "pipe" | "ignore" | Uint8Array,
): Child {
  if (argv.length === 0) throw new AppError("E_VALIDATION", "An empty command cannot be run");
  if (opts.cwd !== undefined && !existsSync(opts.cwd)) {
    throw new AppError("E_FILE_NOT_FOUND", `Working directory not found on local: ${opts.cwd}`);
  }
  try {
    return Bun.spawn(argv, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdin,
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "EACCES")
      throw commandNotFound(argv[0], "local");
    throw e;
  }
}

/** Stops the child on timeout or abort; `outcome()` says which one happened, if any. */
function guard(p: Child, timeoutMs: number | undefined, signal: AbortSignal | undefined) {
  let reason: "timeout" | "abort" | null = null;
  const stop = (why: "timeout" | "abort") => {
    reason ??= why;
    killGroup(p, "SIGKILL");
  };
  const timer = timeoutMs ? setTimeout(() => stop("timeout"), timeoutMs) : null;
  const onAbort = () => stop("abort");
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) stop("abort");
  return {
    outcome: () => reason,
    dispose() {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** The child stopped reading its stdin (it exited, or closed it): a clear error, not an EPIPE crash. */
const stdinClosed = (argv0: string) =>
  new AppError("E_COMMAND_FAILED", `${argv0} stopped reading its input`, {
    hint: "Its exit code and error output say why",
  });

/**
 * Hands one chunk to the child and waits until it took it. FileSink.write answers a promise when
 * the pipe is full; should the child quit meanwhile, that promise rejects with EPIPE, and one left
 * unobserved is an unhandled rejection that takes all of odoodeck down. After an EPIPE the sink
 * drops further writes silently, so a child that is gone is refused here before writing.
 */
async function writeChunk(p: Child, argv0: string, chunk: Uint8Array): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) throw stdinClosed(argv0);
  const sink = p.stdin as import("bun").FileSink;
  try {
    const pending = sink.write(chunk);
    if (pending instanceof Promise) await pending;
    await sink.flush();
  } catch {
    throw stdinClosed(argv0);
  }
}

/** Ends the child's stdin; a child already gone makes that fail, which changes nothing. */
async function endStdin(p: Child): Promise<void> {
  try {
    await (p.stdin as import("bun").FileSink).end();
  } catch {}
}

async function pumpStdin(p: Child, argv0: string, data: ReadableStream<Uint8Array>): Promise<void> {
  try {
    for await (const chunk of data) await writeChunk(p, argv0, chunk);
  } catch {
    // The child closed its stdin early (EPIPE): its exit code tells the story.
  } finally {
    await endStdin(p);
  }
}

/**
 * A file as the child's stdin, through one reused 1 MiB buffer: nothing piles up in our memory,
 * and the pipe stays the child's lifeline (were odoodeck killed, the child would see its input
 * end, not go on alone from the file). Safe to reuse: FileSink has taken the bytes once flushed.
 */
async function pumpFile(
  p: Child,
  argv0: string,
  path: string,
  onProgress?: (bytes: number) => void,
): Promise<void> {
  let total = 0;
  try {
    for await (const chunk of fileChunks(path)) {
      await writeChunk(p, argv0, chunk);
      noteStreamed(chunk.byteLength);
      onProgress?.((total += chunk.byteLength));
    }
  } catch {
    // The child closed its stdin early (EPIPE): its exit code tells the story.
  } finally {
    await endStdin(p);
  }
}

function feed(p: Child, argv0: string, input: ExecOptions["stdin"], onProgress?: (bytes: number) => void) {
  if (input instanceof ReadableStream) return pumpStdin(p, argv0, input);
  if (input instanceof Blob) {
    const path = (input as Blob & { name?: unknown }).name;
    return typeof path === "string"
      ? pumpFile(p, argv0, path, onProgress)
      : pumpStdin(p, argv0, input.stream());
  }
  return undefined;
}

export async function execLocal(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  if (opts.signal?.aborted) throw cancelled(argv);
  const input = opts.stdin;
  const p = start(
    argv,
    opts,
    input === undefined
      ? "ignore"
      : input instanceof ReadableStream || input instanceof Blob
        ? "pipe"
        : typeof input === "string"
          ? new TextEncoder().encode(input)
          : input,
  );
  const g = guard(p, opts.timeoutMs, opts.signal);
  const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  try {
    const [stdout, stderr, code] = await Promise.all([
      collectText(p.stdout as ReadableStream<Uint8Array>, max),
      collectText(p.stderr as ReadableStream<Uint8Array>, max),
      p.exited,
      feed(p, argv[0], input, opts.onStdinProgress),
    ]);
    if (g.outcome() === "timeout") throw timedOut(argv, opts.timeoutMs!);
    if (g.outcome() === "abort") throw cancelled(argv);
    return { code, stdout, stderr };
  } finally {
    g.dispose();
  }
}

function failedProcess(err: AppError): RunningProcess {
  const empty = () => toByteStream(new Uint8Array());
  const exited = Promise.reject(err);
  exited.catch(() => {}); // rejected for whoever awaits it, not an unhandled rejection
  return { stdout: empty(), stderr: empty(), stdin: null, exited, kill() {} };
}

export function spawnLocal(argv: string[], opts: SpawnOptions = {}): RunningProcess {
  let p: Child;
  try {
    if (opts.signal?.aborted) throw cancelled(argv);
    p = start(argv, opts, opts.stdin ? "pipe" : "ignore");
  } catch (e) {
    return failedProcess(e as AppError);
  }
  const g = guard(p, opts.timeoutMs, opts.signal);
  const exited = p.exited.then((code) => {
    g.dispose();
    if (g.outcome() === "timeout") throw timedOut(argv, opts.timeoutMs!);
    if (g.outcome() === "abort") throw cancelled(argv);
    return code;
  });
  exited.catch(() => {});
  let stdin: WritableStream<Uint8Array> | null = null;
  if (opts.stdin) {
    const child = p;
    stdin = new WritableStream<Uint8Array>({
      write: (chunk) => writeChunk(child, argv[0], chunk),
      close: () => endStdin(child),
      abort: () => endStdin(child),
    });
  }
  return {
    stdout: (p.stdout as ReadableStream<Uint8Array>).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          noteStreamed(chunk.byteLength);
          c.enqueue(chunk);
        },
      }),
    ),
    stderr: p.stderr as ReadableStream<Uint8Array>,
    stdin,
    exited,
    kill: (signal = "SIGTERM") => killGroup(p, signal),
  };
}
