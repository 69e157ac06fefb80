/**
 * A test-only stand-in for the local Connection, used until server/connections/local.ts exists:
 * real processes (Bun.spawn) and real files, nothing mocked. Only what server/odoo needs.
 */
import { lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { localTunnel } from "../../server/connections/local-tunnel.ts";
import { runChecked } from "../../server/connections/run.ts";
import type {
  Connection,
  ExecOptions,
  ExecResult,
  RunOptions,
  FileStat,
  RunningProcess,
  Tunnel,
} from "../../server/connections/types.ts";

function toStat(path: string, lstat = false): FileStat | null {
  try {
    const s = lstat ? lstatSync(path) : statSync(path);
    const type = s.isFile() ? "file" : s.isDirectory() ? "dir" : s.isSymbolicLink() ? "symlink" : "other";
    return {
      name: path.split("/").pop() ?? path,
      path,
      type,
      size: s.size,
      mtimeMs: s.mtimeMs,
      mode: s.mode & 0o7777,
      uid: s.uid,
      gid: s.gid,
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

const unsupported = () => Promise.reject(new Error("not implemented in the test stand-in"));

export class LocalExec implements Connection {
  readonly kind = "local" as const;
  readonly label = "local";

  async exec(cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    let p: ReturnType<typeof Bun.spawn>;
    try {
      p = Bun.spawn(cmd, {
        env: { ...process.env, ...opts.env },
        cwd: opts.cwd,
        stdin:
          opts.stdin === undefined
            ? "ignore"
            : typeof opts.stdin === "string"
              ? new TextEncoder().encode(opts.stdin)
              : (opts.stdin as Uint8Array),
        stdout: "pipe",
        stderr: "pipe",
        signal: opts.signal,
      });
    } catch (e) {
      // A missing program is what a shell reports as 127.
      return { code: 127, stdout: "", stderr: `${cmd[0]}: ${(e as Error).message}` };
    }
    const timer = opts.timeoutMs ? setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs) : null;
    const [stdout, stderr, code] = await Promise.all([
      new Response(p.stdout as ReadableStream).text(),
      new Response(p.stderr as ReadableStream).text(),
      p.exited,
    ]);
    if (timer) clearTimeout(timer);
    return { code, stdout, stderr };
  }

  run(cmd: string[], opts?: RunOptions): Promise<ExecResult> {
    return runChecked(this, cmd, opts);
  }

  spawn(cmd: string[]): RunningProcess {
    const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
    return { stdout: p.stdout, stderr: p.stderr, stdin: null, exited: p.exited, kill: (s) => p.kill(s) };
  }

  readFile(path: string): ReadableStream<Uint8Array> {
    return Bun.file(path).stream();
  }

  async stat(path: string, opts: { lstat?: boolean } = {}): Promise<FileStat | null> {
    return toStat(path, opts.lstat);
  }

  async list(dir: string): Promise<FileStat[]> {
    return readdirSync(dir)
      .map((name) => toStat(join(dir, name), true))
      .filter((s): s is FileStat => s !== null);
  }

  writeFile = unsupported;
  mkdir = unsupported;
  rename = unsupported;
  remove = unsupported;
  async tunnel(port: number, opts: { host?: string } = {}): Promise<Tunnel> {
    return localTunnel(port, opts.host ?? "127.0.0.1");
  }

  async close(): Promise<void> {}
}
