/**
 * A destination whose files are stored encrypted with age, for every destination that is not
 * this machine. A file `rel` is stored as `rel.age`; one without the suffix is read as it is, so
 * backups made before encryption was on restore unchanged. Sizes and hashes seen through this
 * wrapper are the plaintext's, so the manifest, publishing's re-read and verify work as before
 * (and a re-read proves the copy decrypts).
 */
import type { Destination, ManyRead, SmallFile } from "../destinations/types.ts";
import {
  AGE_SUFFIX,
  decryptBytes,
  decryptStream,
  encryptBytes,
  encryptStream,
  measureHeader,
  plainSize,
} from "./age.ts";
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

  /** Present when the inner destination batches: each file sealed here (in-process), then one batch there. */
  get writeMany() {
    const many = this.inner.writeMany;
    if (!many) return undefined;
    return async (files: SmallFile[], signal?: AbortSignal): Promise<void> => {
      const sealed: SmallFile[] = [];
      for (const f of files)
        sealed.push({ rel: f.rel + AGE_SUFFIX, data: await encryptBytes(this.key.recipient, f.data) });
      await many(sealed, signal);
    };
  }

  /** Present when the inner destination batches; a name with no `.age` copy is read as it is. */
  get readMany() {
    const many = this.inner.readMany;
    if (!many) return undefined;
    return async (
      rels: string[],
      each: (rel: string, r: ManyRead) => Promise<void>,
      signal?: AbortSignal,
    ): Promise<void> => {
      const plainOnes: string[] = [];
      await many(
        rels.map((r) => r + AGE_SUFFIX),
        async (rel, r) => {
          const plain = rel.slice(0, -AGE_SUFFIX.length);
          if ("missing" in r) return void plainOnes.push(plain);
          if ("error" in r) return each(plain, r);
          const got = await decryptBytes(this.key.identity, r.data, plain).then(
            (data): ManyRead => ({ data }),
            (error): ManyRead => ({ error }),
          );
          await each(plain, got);
        },
        signal,
      );
      if (plainOnes.length) await many(plainOnes, each, signal);
    };
  }

  get removeMany() {
    const many = this.inner.removeMany;
    if (!many) return undefined;
    return (rels: string[]) => many(rels.flatMap((r) => [r + AGE_SUFFIX, r]));
  }
}
