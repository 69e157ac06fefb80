/**
 * A destination whose files are stored encrypted with age, for every destination that is not
 * this machine. A file `rel` is stored as `rel.age`; one without the suffix is read as it is, so
 * backups made before encryption was on restore unchanged. Sizes and hashes seen through this
 * wrapper are the plaintext's, so the manifest, publishing's re-read and verify work as before
 * (and a re-read proves the copy decrypts).
 */
import type { Destination } from "../destinations/types.ts";
import { AGE_SUFFIX, decryptStream, encryptStream, measureHeader, plainSize } from "./age.ts";
import type { AgeKey } from "./keys.ts";

export class EncryptedDestination implements Destination {
  readonly encrypted = true;
  constructor(
    readonly inner: Destination,
    readonly key: AgeKey,
  ) {}

  get id() {
    return this.inner.id;
  }
  get kind() {
    return this.inner.kind;
  }
  get atomicObjects() {
    return this.inner.atomicObjects;
  }
  get label() {
    return `${this.inner.label} (age-encrypted)`;
  }

  write(rel: string, data: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<void> {
    return this.inner.write(rel + AGE_SUFFIX, encryptStream(this.key.recipient, data), signal);
  }

  read(rel: string): ReadableStream<Uint8Array> {
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    return new ReadableStream<Uint8Array>({
      pull: async (c) => {
        try {
          if (!reader) {
            const enc = (await this.inner.size(rel + AGE_SUFFIX)) !== null;
            reader = (
              enc
                ? decryptStream(this.key.identity, this.inner.read(rel + AGE_SUFFIX), rel)
                : this.inner.read(rel)
            ).getReader();
          }
          const r = await reader.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        } catch (e) {
          c.error(e);
        }
      },
      cancel: async () => {
        await reader?.cancel();
      },
    });
  }

  async size(rel: string): Promise<number | null> {
    const enc = await this.inner.size(rel + AGE_SUFFIX);
    if (enc === null) return this.inner.size(rel);
    return plainSize(enc, await measureHeader(this.key.recipient));
  }

  async rename(from: string, to: string): Promise<void> {
    if ((await this.inner.size(from + AGE_SUFFIX)) !== null)
      return this.inner.rename(from + AGE_SUFFIX, to + AGE_SUFFIX);
    return this.inner.rename(from, to);
  }

  async remove(rel: string): Promise<void> {
    await this.inner.remove(rel + AGE_SUFFIX);
    await this.inner.remove(rel);
  }

  async list(): Promise<string[]> {
    return [...new Set((await this.inner.list()).map((n) => n.replace(/\.age$/, "")))].sort();
  }

  where(rel: string): string {
    return this.inner.where(rel);
  }
}
