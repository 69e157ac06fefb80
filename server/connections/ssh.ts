/**
 * A server reached over SSH (ssh2). Commands are argument arrays quoted for the remote POSIX
 * shell; files move through exec channels (`tail`, `cat`) rather than SFTP, for throughput.
 * The host key is pinned on first use and a changed key is refused.
 */
import { randomBytes } from "node:crypto";
import { dirname, basename } from "node:path";
import { AppError, isAppError } from "../errors.ts";
import { commandNotFound, remoteError } from "./errors-map.ts";
import { buildRemoteCommand, NO_CWD_MARKER } from "./shell-quote.ts";
import { endpointOf } from "./ssh-connect.ts";
import { SshPool } from "./ssh-pool.ts";
import { runRemote } from "./ssh-process.ts";
import { openSshTunnel } from "./ssh-tunnel.ts";
import {
  LIST_SCRIPT,
  parseRecord,
  READ_SCRIPT,
  REMOVE_SCRIPT,
  safePath,
  STAT_SCRIPT,
  TOKEN_LENGTH,
  WRITE_SCRIPT,
} from "./ssh-scripts.ts";
import { collectText, DEFAULT_MAX_OUTPUT, toByteStream } from "./streams.ts";
import { runChecked } from "./run.ts";
import type {
  Connection,
  ExecOptions,
  ExecResult,
  RunOptions,
  FileStat,
  RunningProcess,
  SpawnOptions,
  SshConnectionConfig,
  Tunnel,
  WriteFileOptions,
} from "./types.ts";

const C_LOCALE = { LC_ALL: "C" };

export class SshConnection implements Connection {
  readonly kind = "ssh" as const;
  readonly label: string;
  readonly #pool: SshPool;
  readonly #tunnels = new Set<Tunnel>();

  constructor(cfg: SshConnectionConfig) {
    this.label = endpointOf(cfg);
    this.#pool = new SshPool(cfg);
  }

  /** The fingerprint the server presented on the last successful connection. */
  get hostFingerprint(): string | undefined {
    return this.#pool.fingerprint;
  }

  #missing(argv: string[], code: number, stderr: string): AppError | null {
    if (code !== 127) return null;
    if (stderr.includes(NO_CWD_MARKER))
      return new AppError("E_FILE_NOT_FOUND", `Working directory not found on ${this.label}`);
    if (/not found/.test(stderr) && stderr.includes(argv[0])) return commandNotFound(argv[0], this.label);
    return null;
  }

  async exec(cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const command = buildRemoteCommand(cmd, opts);
    const p = runRemote(this.#pool, cmd, command, {
      stdin: opts.stdin,
      onStdinProgress: opts.onStdinProgress,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
    });
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const [stdout, stderr, code] = await Promise.all([
      collectText(p.stdout, max),
      collectText(p.stderr, max),
      p.exited,
    ]);
    const missing = this.#missing(cmd, code, stderr);
    if (missing) throw missing;
    return { code, stdout, stderr };
  }

  run(cmd: string[], opts?: RunOptions): Promise<ExecResult> {
    return runChecked(this, cmd, opts);
  }

  spawn(cmd: string[], opts: SpawnOptions = {}): RunningProcess {
    let command: string;
    try {
      command = buildRemoteCommand(cmd, opts);
    } catch (e) {
      command = "exit 1";
      const exited = Promise.reject(e);
      exited.catch(() => {});
      return { ...runRemote(this.#pool, cmd, command), exited };
    }
    const p = runRemote(this.#pool, cmd, command, {
      stdin: opts.stdin === true,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
    });
    const exited = p.exited.then((code) => {
      const missing = this.#missing(cmd, code, p.stderrHead());
      if (missing) throw missing;
      return code;
    });
    exited.catch(() => {});
    return { stdout: p.stdout, stderr: p.stderr, stdin: p.stdin, kill: p.kill, exited };
  }

  /** Runs a fixed script with positional arguments; throws a mapped error on a non-zero exit. */
  async #script(script: string, args: string[], path: string, opts: ExecOptions = {}): Promise<string> {
    const res = await this.exec(["sh", "-c", script, "sh", ...args], { ...opts, env: C_LOCALE });
    if (res.code !== 0) throw remoteError(res.stderr, path, this.label);
    return res.stdout;
  }

  readFile(path: string, opts: { start?: number; signal?: AbortSignal } = {}): ReadableStream<Uint8Array> {
    const argv = ["sh", "-c", READ_SCRIPT, "sh", path, String((opts.start ?? 0) + 1)];
    const p = runRemote(this.#pool, ["tail"], buildRemoteCommand(argv, { env: C_LOCALE }), {
      signal: opts.signal,
    });
    const stderr = collectText(p.stderr, 64 * 1024);
    stderr.catch(() => {});
    const reader = p.stdout.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        const { done, value } = await reader.read();
        if (!done) return c.enqueue(value);
        // Only a zero exit means the whole file arrived.
        const code = await p.exited;
        if (code !== 0) throw remoteError(await stderr, path, this.label);
        c.close();
      },
      cancel: async () => {
        p.kill("SIGKILL");
        await reader.cancel().catch(() => {});
      },
    });
  }

  async writeFile(
    path: string,
    data: ReadableStream<Uint8Array> | Uint8Array | string,
    opts: WriteFileOptions = {},
  ): Promise<void> {
    const atomic = opts.atomic ?? true;
    const tmp = atomic ? `${dirname(path)}/${basename(path)}.tmp-${randomBytes(6).toString("hex")}` : path;
    const token = randomBytes(TOKEN_LENGTH / 2).toString("hex");
    let sourceError: unknown = null;
    const reader = toByteStream(data).getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        try {
          const { done, value } = await reader.read();
          if (!done) return c.enqueue(value);
          c.enqueue(new TextEncoder().encode(token)); // only a complete upload carries the token
          c.close();
        } catch (e) {
          sourceError = e;
          c.error(e);
        }
      },
      cancel: (why) => reader.cancel(why),
    });
    const mode = opts.mode === undefined ? "" : (opts.mode & 0o7777).toString(8);
    try {
      await this.#script(WRITE_SCRIPT, [safePath(tmp), safePath(path), token, mode], path, {
        stdin: body,
        signal: opts.signal,
      });
      if (sourceError) throw sourceError;
    } catch (e) {
      if (atomic) await this.exec(["rm", "-f", "--", tmp], { timeoutMs: 15_000 }).catch(() => {});
      if (sourceError)
        throw isAppError(sourceError)
          ? sourceError
          : new AppError(
              "E_INTERNAL",
              `Writing ${path} failed: the data source broke: ${(sourceError as Error).message}`,
              { cause: sourceError },
            );
      throw e;
    }
  }

  async stat(path: string, opts: { lstat?: boolean } = {}): Promise<FileStat | null> {
    const res = await this.exec(["sh", "-c", STAT_SCRIPT, "sh", safePath(path), opts.lstat ? "-P" : "-L"], {
      env: C_LOCALE,
    });
    if (res.code !== 0) {
      if (/No such file or directory/.test(res.stderr)) return null;
      throw remoteError(res.stderr, path, this.label);
    }
    const fields = res.stdout.replace(/\0$/, "").split("\t");
    if (!opts.lstat && fields[0] === "l") return null; // a dangling symlink: what it points to does not exist
    return parseRecord(fields, path, basename(path) || path);
  }

  async list(dir: string): Promise<FileStat[]> {
    const out = await this.#script(LIST_SCRIPT, [safePath(dir)], dir);
    const base = dir.endsWith("/") ? dir : `${dir}/`;
    return out
      .split("\0")
      .filter(Boolean)
      .map((rec) => {
        const fields = rec.split("\t");
        const name = fields.slice(6).join("\t");
        return parseRecord(fields, base + name, name);
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async mkdir(path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const mode = (opts.mode ?? 0o755).toString(8);
    await this.#script(`exec mkdir ${opts.recursive ? "-p " : ""}-m "$2" -- "$1"`, [path, mode], path);
  }

  async rename(from: string, to: string): Promise<void> {
    await this.#script('exec mv -f -T -- "$1" "$2"', [from, to], from);
  }

  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    await this.#script(REMOVE_SCRIPT, [path, opts.recursive ? "r" : ""], path);
  }

  async tunnel(port: number, opts: { host?: string } = {}): Promise<Tunnel> {
    const t = await openSshTunnel(this.#pool, opts.host ?? "127.0.0.1", port, {
      onClosed: (closed) => this.#tunnels.delete(closed),
    });
    this.#tunnels.add(t);
    return t;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#tunnels].map((t) => t.close()));
    await this.#pool.close();
  }
}
