/**
 * Where backups are stored. Paths are relative to the destination's root and use "/".
 * Folder-like destinations (local, server) publish by renaming `.<name>.partial` to `<name>`;
 * object stores have no rename, but an object only appears once its upload completed, so a
 * native backup there is published by writing its manifest last (a prefix without
 * manifest.json is not a backup and is removed on failure).
 */
export interface Destination {
  /** Stable id stored with backup records, e.g. "local", "s3", "server:3". */
  readonly id: string;
  readonly label: string;
  readonly kind: "local" | "server" | "s3";
  /** True when objects appear atomically and there is no rename (S3). */
  readonly atomicObjects: boolean;
  /** Writes a file; resolves once the bytes are durable (fsynced / upload completed). */
  write(rel: string, data: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<void>;
  read(rel: string): ReadableStream<Uint8Array>;
  /** null when absent. */
  size(rel: string): Promise<number | null>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or a whole folder / prefix; absent is fine. */
  remove(rel: string): Promise<void>;
  /** Names directly under the root (backups, and partials starting with "."). */
  list(): Promise<string[]>;
  /** Where a backup lives, for people (path or s3:// URL). */
  where(rel: string): string;
  /**
   * For folders on the odoodeck machine: the file's path there, so tools and hashing can read
   * and write it directly instead of streaming it through odoodeck's memory.
   */
  localPath?(rel: string): string;
  /**
   * For destinations where every call is a round trip (a folder over SSH, S3): many small files
   * in one call (S3: a few requests at once). Each file appears whole and durable or not at all.
   */
  writeMany?: (files: SmallFile[], signal?: AbortSignal) => Promise<void>;
  /**
   * Many small files in one stream (a server) or a few requests at once (S3), each handed to
   * `each` as it arrives (bytes whole; calls may overlap), and every name that is not there as
   * missing. A file that cannot be decoded (a damaged encrypted copy) comes with its error; the
   * others go on.
   */
  readMany?: (
    rels: string[],
    each: (rel: string, r: ManyRead) => Promise<void>,
    signal?: AbortSignal,
  ) => Promise<void>;
  /** Removes many files in one call (absent is fine). */
  removeMany?: (rels: string[]) => Promise<void>;
}

export type ManyRead = { data: Uint8Array } | { missing: true } | { error: unknown };

export interface SmallFile {
  rel: string;
  data: Uint8Array;
}

/** How many files one writeMany/readMany call should carry at most, and how many bytes. */
export const MANY_FILES = 500;
export const MANY_BYTES = 32 * 1024 * 1024;

/** Splits `items` into groups of at most MANY_FILES and (unless one item alone) MANY_BYTES. */
export function groups<T>(items: T[], bytes: (t: T) => number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let n = 0;
  for (const it of items) {
    const b = bytes(it);
    if (cur.length && (cur.length >= MANY_FILES || n + b > MANY_BYTES)) {
      out.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(it);
    n += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

export function joinRel(...parts: string[]): string {
  return parts.filter(Boolean).join("/");
}

/** Refuses names that could leave the destination's root. */
export function checkRel(rel: string): string {
  if (!rel || rel.split("/").some((s) => s === ".." || s === "") || rel.startsWith("/")) {
    throw new Error(`Invalid backup path: ${rel}`);
  }
  return rel;
}

/** Runs `fn` over `items`, at most `n` at a time; the first error is thrown once all have settled. */
export async function inParallel<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { e: unknown } | null = null;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length && !failed)
        await fn(items[next++]).catch((e) => {
          failed ??= { e };
        });
    }),
  );
  if (failed) throw (failed as { e: unknown }).e;
}
