/** A folder on the machine odoodeck runs on. Files are fsynced before a write resolves. */
import { constants, createReadStream, promises as fsp } from "node:fs";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { AppError } from "../../../server/sdk/index.ts";
import { checkRel, type Destination } from "./types.ts";

export function fsAppError(e: unknown, path: string): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === "ENOSPC" || code === "EDQUOT")
    return new AppError("E_DISK_FULL", `No space left on the device while writing ${path}`, {
      hint: "Free some space on the backup destination, or prune old backups",
    });
  if (code === "EACCES" || code === "EPERM" || code === "EROFS")
    return new AppError("E_PERMISSION", `Permission denied: ${path}`, {
      hint: "Check the folder's owner and mode",
    });
  if (code === "ENOENT") return new AppError("E_FILE_NOT_FOUND", `No such file or directory: ${path}`);
  return e;
}

export class LocalDestination implements Destination {
  readonly kind = "local" as const;
  readonly atomicObjects = false;
  constructor(
    readonly root: string,
    readonly id = "local",
  ) {}

  get label() {
    return `local ${this.root}`;
  }

  #abs(rel: string) {
    return join(this.root, checkRel(rel));
  }

  localPath(rel: string): string {
    return this.#abs(rel);
  }

  async write(rel: string, data: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<void> {
    const path = this.#abs(rel);
    let fh: fsp.FileHandle | null = null;
    try {
      await fsp.mkdir(dirname(path), { recursive: true, mode: 0o700 });
      fh = await fsp.open(path, "w", 0o600);
      for await (const chunk of data) {
        if (signal?.aborted) throw new AppError("E_CANCELLED", "The backup was cancelled");
        let off = 0;
        while (off < chunk.byteLength) off += (await fh.write(chunk, off)).bytesWritten;
      }
      await fh.sync();
    } catch (e) {
      throw fsAppError(e, path);
    } finally {
      await fh?.close().catch(() => {});
    }
  }

  read(rel: string): ReadableStream<Uint8Array> {
    const path = this.#abs(rel);
    return Readable.toWeb(
      createReadStream(path, { highWaterMark: 1024 * 1024 }),
    ) as unknown as ReadableStream<Uint8Array>;
  }

  async size(rel: string): Promise<number | null> {
    const s = await fsp.stat(this.#abs(rel)).catch(() => null);
    return s ? s.size : null;
  }

  async rename(from: string, to: string): Promise<void> {
    const target = this.#abs(to);
    if (
      await fsp.access(target, constants.F_OK).then(
        () => true,
        () => false,
      )
    )
      throw new AppError("E_CONFLICT", `A backup named ${to} already exists`);
    await fsp.rename(this.#abs(from), target);
    // The rename is durable only once the folder holding it is synced.
    const dir = await fsp.open(dirname(target), "r");
    await dir.sync().catch(() => {});
    await dir.close();
  }

  async remove(rel: string): Promise<void> {
    await fsp.rm(this.#abs(rel), { recursive: true, force: true });
  }

  async list(): Promise<string[]> {
    return (await fsp.readdir(this.root).catch(() => [])).sort();
  }

  where(rel: string): string {
    return this.#abs(rel);
  }
}
