/** Raw messages, gzip-compressed, one file each under <data>/mail/<mailbox id>/. */
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { createGzip, gunzip } from "node:zlib";
import { slices } from "./parse.ts";

const gunzipOffThread = promisify(gunzip);
/**
 * Above this a message is compressed and written as a stream of slices: in one piece 50 MB held
 * the event loop 0.9 s (gzipSync), and 150–330 ms more in Bun.write, while other clients waited.
 */
const LARGE = 1024 * 1024;

export class RawFiles {
  /** Mailbox folders known to exist: a mkdir per message was a system call per message. */
  #made = new Set<number>();

  constructor(readonly root: string) {}

  dir(mailboxId: number): string {
    return join(this.root, String(mailboxId));
  }

  path(mailboxId: number, id: string): string {
    return join(this.dir(mailboxId), `${id}.eml.gz`);
  }

  /**
   * Written under a temporary name and renamed: a crash never leaves half a message. No fsync per
   * message: caught mail is a copy for people to look at, and a flood must not wait on the disk.
   */
  async write(mailboxId: number, id: string, raw: Uint8Array): Promise<void> {
    if (!this.#made.has(mailboxId)) {
      mkdirSync(this.dir(mailboxId), { recursive: true, mode: 0o700 });
      this.#made.add(mailboxId);
    }
    const final = this.path(mailboxId, id);
    const tmp = `${final}.part`;
    if (raw.length > LARGE)
      await pipeline(
        slices(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)),
        createGzip({ level: 1 }),
        createWriteStream(tmp, { mode: 0o600 }),
      ).catch(async (e) => {
        await unlink(tmp).catch(() => {});
        throw e;
      });
    // Small ones stay synchronous: a stream per message costs a flood more than it saves
    else await Bun.write(tmp, Bun.gzipSync(new Uint8Array(raw), { level: 1 }));
    await rename(tmp, final);
  }

  async read(mailboxId: number, id: string): Promise<Buffer> {
    const gz = new Uint8Array(await Bun.file(this.path(mailboxId, id)).arrayBuffer());
    return gz.length > LARGE / 4 ? gunzipOffThread(gz) : Buffer.from(Bun.gunzipSync(gz));
  }

  async remove(mailboxId: number, ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => unlink(this.path(mailboxId, id)).catch(() => {})));
  }

  removeMailbox(mailboxId: number): void {
    this.#made.delete(mailboxId);
    rmSync(this.dir(mailboxId), { recursive: true, force: true });
  }
}
