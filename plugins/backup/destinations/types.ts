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
