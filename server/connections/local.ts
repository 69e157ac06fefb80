/**
 * The machine odoodeck runs on. Commands via Bun.spawn (argument arrays), files via node:fs.
 */
import { randomBytes } from "node:crypto";
import { constants, promises as fsp } from "node:fs";
import { basename, join } from "node:path";
import { cancelled, fsError } from "./errors-map.ts";
import { execLocal, spawnLocal } from "./local-process.ts";
import { localTunnel } from "./local-tunnel.ts";
import { toByteStream } from "./streams.ts";
import { runChecked } from "./run.ts";
import type {
  Connection,
  ExecOptions,
  ExecResult,
  RunOptions,
  FileStat,
  RunningProcess,
  SpawnOptions,
  Tunnel,
  WriteFileOptions,
} from "./types.ts";

const CHUNK = 1024 * 1024;

function toFileStat(path: string, s: import("node:fs").Stats): FileStat {
  const type = s.isFile() ? "file" : s.isDirectory() ? "dir" : s.isSymbolicLink() ? "symlink" : "other";
  return {
    name: basename(path) || path,
    path,
    type,
    size: s.size,
    mtimeMs: s.mtimeMs,
    mode: s.mode & 0o7777,
    uid: s.uid,
    gid: s.gid,
  };
}

export class LocalConnection implements Connection {
  readonly kind = "local" as const;
  readonly label = "local";

  exec(cmd: string[], opts?: ExecOptions): Promise<ExecResult> {
    return execLocal(cmd, opts);
  }

  run(cmd: string[], opts?: RunOptions): Promise<ExecResult> {
    return runChecked(this, cmd, opts);
  }

  spawn(cmd: string[], opts?: SpawnOptions): RunningProcess {
    return spawnLocal(cmd, opts);
  }

  /** Opens the file before the first byte is asked for, so a missing or unreadable file is a clear error. */
  readFile(path: string, opts: { start?: number; signal?: AbortSignal } = {}): ReadableStream<Uint8Array> {
    let fh: fsp.FileHandle | null = null;
    let pos = opts.start ?? 0;
    const release = () => {
      const h = fh;
      fh = null;
      void h?.close().catch(() => {});
    };
    return new ReadableStream<Uint8Array>({
      async start(c) {
        try {
          fh = await fsp.open(path, constants.O_RDONLY);
          if ((await fh.stat()).isDirectory()) throw Object.assign(new Error("EISDIR"), { code: "EISDIR" });
        } catch (e) {
          release();
          throw fsError(e, path);
        }
        opts.signal?.addEventListener(
          "abort",
          () => {
            release();
            c.error(cancelled([`reading ${path}`]));
          },
          {
            once: true,
          },
        );
      },
      async pull(c) {
        if (!fh) return;
        try {
          const buf = new Uint8Array(CHUNK);
          const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
          if (bytesRead === 0) {
            release();
            c.close();
            return;
          }
          pos += bytesRead;
          c.enqueue(buf.subarray(0, bytesRead));
        } catch (e) {
          release();
          c.error(fsError(e, path));
        }
      },
      cancel: release,
    });
  }

  /**
   * Atomic by default: writes `<path>.tmp-<random>` and renames it over the target, so readers see
   * the old file or the new one, never half of it. Overwriting keeps the target's mode and owner
   * unless `mode` is given; a new file is 0600 unless `mode` is given.
   */
  async writeFile(
    path: string,
    data: ReadableStream<Uint8Array> | Uint8Array | string,
    opts: WriteFileOptions = {},
  ): Promise<void> {
    const atomic = opts.atomic ?? true;
    const target = await fsp.stat(path).catch(() => null);
    const dest = atomic ? `${path}.tmp-${randomBytes(6).toString("hex")}` : path;
    let fh: fsp.FileHandle | null = null;
    try {
      if (opts.signal?.aborted) throw cancelled([`writing ${path}`]);
      fh = await fsp.open(dest, atomic ? "wx" : "w", opts.mode ?? target?.mode ?? 0o600);
      for await (const chunk of toByteStream(data)) {
        if (opts.signal?.aborted) throw cancelled([`writing ${path}`]);
        let off = 0;
        while (off < chunk.byteLength) off += (await fh.write(chunk, off)).bytesWritten;
      }
      await fh.chmod((opts.mode ?? target?.mode ?? 0o600) & 0o7777);
      if (target && process.getuid?.() === 0) await fh.chown(target.uid, target.gid);
      await fh.close();
      fh = null;
      if (atomic) await fsp.rename(dest, path);
    } catch (e) {
      await fh?.close().catch(() => {});
      if (atomic) await fsp.rm(dest, { force: true }).catch(() => {});
      throw fsError(e, path);
    }
  }

  async stat(path: string, opts: { lstat?: boolean } = {}): Promise<FileStat | null> {
    try {
      return toFileStat(path, opts.lstat ? await fsp.lstat(path) : await fsp.stat(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw fsError(e, path);
    }
  }

  /** Entries of `dir` (not following symlinks), sorted by name. */
  async list(dir: string): Promise<FileStat[]> {
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (e) {
      throw fsError(e, dir);
    }
    const stats = await Promise.all(names.sort().map((n) => this.stat(join(dir, n), { lstat: true })));
    return stats.filter((s): s is FileStat => s !== null);
  }

  async mkdir(path: string, opts: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    try {
      await fsp.mkdir(path, { recursive: opts.recursive, mode: opts.mode ?? 0o755 });
    } catch (e) {
      throw fsError(e, path);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await fsp.rename(from, to);
    } catch (e) {
      throw fsError(e, from);
    }
  }

  /** Removing what is already gone is not an error. A directory needs `recursive` unless empty. */
  async remove(path: string, opts: { recursive?: boolean } = {}): Promise<void> {
    try {
      const s = await fsp.lstat(path).catch(() => null);
      if (!s) return;
      if (s.isDirectory() && !opts.recursive) await fsp.rmdir(path);
      else await fsp.rm(path, { recursive: !!opts.recursive, force: true });
    } catch (e) {
      throw fsError(e, path);
    }
  }

  /** The server is this machine: the port is reached directly, nothing listens in between. */
  async tunnel(port: number, opts: { host?: string } = {}): Promise<Tunnel> {
    return localTunnel(port, opts.host ?? "127.0.0.1");
  }

  async close(): Promise<void> {}
}
