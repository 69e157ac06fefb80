/**
 * S3-compatible object storage through Bun's S3 client. Uploads are multipart with a bounded
 * queue (memory ≈ partSize × queueSize); an upload that fails or is cancelled is aborted, so no
 * partial object appears. There is no rename: see `Destination.atomicObjects`.
 */
import { S3Client } from "bun";
import { AppError } from "../../../server/sdk/index.ts";
import { checkRel, type Destination, inParallel, type ManyRead, type SmallFile } from "./types.ts";

/** S3 has no batch upload or download: a group of small objects goes as this many requests at once. */
const PARALLEL = 8;

export interface S3Config {
  endpoint: string;
  bucket: string;
  region?: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Key prefix under which backups go, e.g. "odoodeck/". */
  prefix?: string;
}

const PART_SIZE = 8 * 1024 * 1024;

export class S3Destination implements Destination {
  readonly kind = "s3" as const;
  readonly atomicObjects = true;
  readonly id: string;
  readonly client: S3Client;
  readonly prefix: string;
  constructor(
    readonly cfg: S3Config,
    id = "s3",
  ) {
    this.id = id;
    this.prefix = (cfg.prefix ?? "").replace(/^\/+/, "").replace(/\/*$/, cfg.prefix ? "/" : "");
    this.client = new S3Client({
      endpoint: cfg.endpoint,
      bucket: cfg.bucket,
      region: cfg.region || "us-east-1",
      accessKeyId: cfg.accessKeyId,
      secretAccessKey: cfg.secretAccessKey,
    });
  }

  get label() {
    return `s3://${this.cfg.bucket}/${this.prefix}`;
  }

  #key(rel: string) {
    return this.prefix + checkRel(rel);
  }

  async write(rel: string, data: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<void> {
    const w = this.client.file(this.#key(rel)).writer({ partSize: PART_SIZE, queueSize: 2, retry: 2 });
    try {
      for await (const chunk of data) {
        if (signal?.aborted) throw new AppError("E_CANCELLED", "The upload was cancelled");
        await w.write(chunk);
      }
      await w.end();
    } catch (e) {
      await Promise.resolve(w.end(e instanceof Error ? e : new Error(String(e)))).catch(() => {});
      throw s3Error(e, this.label);
    }
  }

  read(rel: string): ReadableStream<Uint8Array> {
    return this.client.file(this.#key(rel)).stream();
  }

  async size(rel: string): Promise<number | null> {
    try {
      return (await this.client.file(this.#key(rel)).stat()).size;
    } catch {
      return null;
    }
  }

  async rename(): Promise<void> {
    throw new AppError("E_INTERNAL", "S3 destinations have no rename");
  }

  /**
   * Removes one object, or every object under `rel/`. A delete that fails (S3's 500 "internal
   * error, please try again", which s3rver also answers to deletes racing in one folder) is tried
   * again on what a fresh look still finds, up to 5 times; what is still there then is the error.
   */
  async remove(rel: string): Promise<void> {
    const key = this.#key(rel);
    let again = false; // a retry of the object itself first checks it is still there
    await this.#deleteAll(rel, async () => {
      const keys = again && (await this.size(rel)) === null ? [] : [key];
      again = true;
      return { keys, more: false };
    });
    await this.#deleteAll(rel, async () => {
      const page = await this.client.list({ prefix: `${key}/`, maxKeys: 1000 });
      return { keys: (page.contents ?? []).map((c) => c.key), more: !!page.isTruncated };
    });
  }

  /** Deletes what `find` returns until it has nothing more; a failed delete is retried on a fresh `find`. */
  async #deleteAll(rel: string, find: () => Promise<{ keys: string[]; more: boolean }>): Promise<void> {
    let failures = 0;
    for (;;) {
      const { keys, more } = await find();
      const failed = (await Promise.allSettled(keys.map((k) => this.client.delete(k)))).find(
        (r): r is PromiseRejectedResult => r.status === "rejected",
      );
      if (!failed && !more) return;
      if (!failed) continue;
      if (++failures >= 5)
        throw new AppError("E_UNREACHABLE", `Could not remove ${this.where(rel)}`, {
          hint: `${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`.slice(
            0,
            300,
          ),
        });
      await Bun.sleep(100 * 2 ** failures);
    }
  }

  /** Top-level names: zip objects, and native backups (prefixes that hold a manifest). */
  async list(): Promise<string[]> {
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.client.list({ prefix: this.prefix, delimiter: "/", continuationToken: token });
      for (const c of page.contents ?? []) names.add(c.key.slice(this.prefix.length));
      for (const p of page.commonPrefixes ?? [])
        names.add(p.prefix.slice(this.prefix.length).replace(/\/$/, ""));
      token = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (token);
    return [...names].sort();
  }

  where(rel: string): string {
    return `s3://${this.cfg.bucket}/${this.#key(rel)}`;
  }

  /** A group of small objects, PARALLEL requests at a time (an object appears whole when its PUT ends). */
  writeMany = (files: SmallFile[], signal?: AbortSignal): Promise<void> =>
    inParallel(files, PARALLEL, async (f) => {
      if (signal?.aborted) throw new AppError("E_CANCELLED", "The upload was cancelled");
      try {
        await this.client.write(this.#key(f.rel), f.data);
      } catch (e) {
        throw s3Error(e, this.label);
      }
    });

  /** A group of small objects, PARALLEL GETs at a time; a key that is not there is missing. */
  readMany = (
    rels: string[],
    each: (rel: string, r: ManyRead) => Promise<void>,
    signal?: AbortSignal,
  ): Promise<void> =>
    inParallel(rels, PARALLEL, async (rel) => {
      if (signal?.aborted) throw new AppError("E_CANCELLED", "The download was cancelled");
      const got = await this.client
        .file(this.#key(rel))
        .arrayBuffer()
        .then(
          (b): ManyRead => ({ data: new Uint8Array(b) }),
          async (e): Promise<ManyRead> => {
            if ((e as { code?: string })?.code === "NoSuchKey" || (await this.size(rel)) === null)
              return { missing: true };
            throw s3Error(e, this.label);
          },
        );
      await each(rel, got);
    });
}

function s3Error(e: unknown, where: string): unknown {
  if (e instanceof AppError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new AppError("E_UNREACHABLE", `Upload to ${where} failed: ${msg.slice(0, 200)}`, {
    hint: "Check the S3 endpoint, bucket and credentials in the backup settings",
  });
}
