/**
 * One interface for every way odoodeck reaches a server. Commands are argument arrays, never
 * shell strings: the SSH kind quotes each argument for the remote shell itself.
 */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /**
   * Data written to the command's stdin, then stdin is closed. A `Bun.file(path)` of the odoodeck
   * machine is sent through one reused buffer, so however large it is nothing piles up in
   * odoodeck's memory; the pipe stays the command's lifeline (it sees its input end if odoodeck
   * dies).
   */
  stdin?: string | Uint8Array | ReadableStream<Uint8Array> | Blob;
  /** With a `Bun.file` stdin: how many of its bytes were sent so far. */
  onStdinProgress?: (bytes: number) => void;
  /** Kill the command (and fail with E_TIMEOUT) after this many milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: Record<string, string>;
  cwd?: string;
  /** Stop collecting stdout/stderr beyond this many bytes each (default 16 MiB). */
  maxOutputBytes?: number;
}

export interface RunOptions extends ExecOptions {
  /** Exit codes that are not failures (default [0]); e.g. [0, 1] for grep's "no match". */
  okCodes?: number[];
  /** What the command does, for the message ("read the log"); default: its first words. */
  what?: string;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** When true, `stdin` is a writable stream the caller must close. */
  stdin?: boolean;
}

export interface RunningProcess {
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  /** Present when spawned with `stdin: true`. */
  stdin: WritableStream<Uint8Array> | null;
  /** Resolves with the exit code (128+n for a signal); rejects with E_CONNECTION_LOST if the link drops. */
  exited: Promise<number>;
  kill(signal?: "SIGTERM" | "SIGKILL" | "SIGINT"): void;
}

export interface FileStat {
  name: string;
  path: string;
  type: "file" | "dir" | "symlink" | "other";
  size: number;
  mtimeMs: number;
  mode: number;
  uid: number;
  gid: number;
}

export interface WriteFileOptions {
  mode?: number;
  /** Write to a temporary name beside the target and rename at the end (default true). */
  atomic?: boolean;
  signal?: AbortSignal;
}

/**
 * A way for odoodeck to reach a TCP port of the server, e.g. a preview's Odoo bound to the
 * server's loopback. Over SSH it is a listener on odoodeck's own loopback (127.0.0.1, a free
 * port) whose connections are forwarded through the SSH link; locally it is the port itself.
 */
export interface Tunnel {
  /** `http://127.0.0.1:<port>`: where odoodeck's own requests go (fetch, WebSocket, proxy). */
  readonly url: string;
  /** The port on odoodeck's machine (locally: the server's port itself). */
  readonly port: number;
  /** False once closed, by `close()` or by the connection's `close()`. */
  readonly open: boolean;
  /** Stops listening and cuts the connections in flight; the local port then refuses. */
  close(): Promise<void>;
}

export interface Connection {
  readonly kind: "local" | "ssh";
  /** Human label, e.g. "local" or "odoo@erp.example:22". Never contains a secret. */
  readonly label: string;
  exec(cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Like `exec`, but an exit code outside `okCodes` (default [0]) fails with E_COMMAND_FAILED:
   * the command's first words, its exit code and the last lines of its stderr (masked).
   * @example
   * const { stdout } = await conn.run(["systemctl", "is-active", "odoo"], { timeoutMs: 10_000 });
   * await conn.run(["grep", "-c", "ERROR", log], { okCodes: [0, 1] }); // 1: no match, not a failure
   */
  run(cmd: string[], opts?: RunOptions): Promise<ExecResult>;
  spawn(cmd: string[], opts?: SpawnOptions): RunningProcess;
  /** Streams a file from `start` (byte offset) on. Errors surface as E_FILE_NOT_FOUND / E_PERMISSION. */
  readFile(path: string, opts?: { start?: number; signal?: AbortSignal }): ReadableStream<Uint8Array>;
  writeFile(
    path: string,
    data: ReadableStream<Uint8Array> | Uint8Array | string,
    opts?: WriteFileOptions,
  ): Promise<void>;
  /** null when the path does not exist. Does not follow a final symlink when `lstat` is set. */
  stat(path: string, opts?: { lstat?: boolean }): Promise<FileStat | null>;
  list(dir: string): Promise<FileStat[]>;
  mkdir(path: string, opts?: { recursive?: boolean; mode?: number }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string, opts?: { recursive?: boolean }): Promise<void>;
  /**
   * Reaches `port` on the server's loopback (or on `host` as the server sees it) from odoodeck.
   * Over SSH each connection made to the tunnel opens a forwarded channel on the pooled link, so
   * a dropped link is reconnected by the next request; while the server is unreachable the
   * connection is refused promptly (never left hanging). Close it when done.
   * @example
   * const t = await conn.tunnel(8069);
   * try { await fetch(`${t.url}/web/health`); } finally { await t.close(); }
   */
  tunnel(port: number, opts?: { host?: string }): Promise<Tunnel>;
  /**
   * Releases pooled resources (and closes this connection's tunnels). The object may be reused:
   * it reconnects on demand.
   */
  close(): Promise<void>;
}

export interface SshConnectionConfig {
  host: string;
  port?: number;
  username: string;
  privateKey?: string;
  passphrase?: string;
  password?: string;
  /** Pinned host key fingerprint ("SHA256:…"). When absent the first key seen is accepted. */
  hostKeyFingerprint?: string;
  /** Called with the fingerprint when a key is accepted on first use, so the caller can pin it. */
  onHostKeyPinned?: (fingerprint: string) => void;
  jump?: Omit<SshConnectionConfig, "jump" | "onHostKeyPinned">;
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
}
