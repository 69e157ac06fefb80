/**
 * The content-addressed filestore store (CAS) at a destination:
 *   `objects/<aa>/<sha256>`          each distinct file once, across every backup there;
 *   `<backup>/filestore.index.json`  a part of the backup: relative path → object hash + size.
 * Odoo names a filestore file by the SHA-1 of its content and never rewrites it, so a daily
 * backup only adds the files that are new. Objects are keyed (and re-checked) by SHA-256, not by
 * Odoo's name: a file damaged on the instance would otherwise pass as its own original.
 */
export const OBJECTS_DIR = "objects";
/** Objects up to this size are held whole in memory, and travel in groups where a destination can. */
export const SMALL_OBJECT = 4 * 1024 * 1024;
export const PART_FILESTORE_INDEX = "filestore.index.json";

export interface IndexEntry {
  /** Relative to the database's filestore folder, "/"-separated, e.g. "3f/3f2a…". */
  path: string;
  sha256: string;
  bytes: number;
}

export interface FilestoreIndex {
  version: 1;
  files: IndexEntry[];
}

const HEX64 = /^[0-9a-f]{64}$/;

export function objectRel(sha256: string): string {
  if (!HEX64.test(sha256)) throw new Error(`Not a SHA-256: ${sha256}`);
  return `${OBJECTS_DIR}/${sha256.slice(0, 2)}/${sha256}`;
}

/** The hash an object's relative path names (encryption suffixes stripped by the caller), or null. */
export function hashOfObjectRel(rel: string): string | null {
  const m = /^(?:objects\/)?([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(rel);
  return m?.[2].startsWith(m[1]) ? m[2] : null;
}

/** Refuses an index whose paths could leave the restored folder. */
export function parseIndex(text: string): FilestoreIndex {
  const x = JSON.parse(text) as FilestoreIndex;
  if (x?.version !== 1 || !Array.isArray(x.files))
    throw new Error(`${PART_FILESTORE_INDEX}: not a version 1 index`);
  for (const f of x.files) {
    const segs = typeof f.path === "string" ? f.path.split("/") : [""];
    if (f.path.startsWith("/") || segs.some((s) => s === "" || s === "." || s === ".."))
      throw new Error(`${PART_FILESTORE_INDEX}: bad path ${JSON.stringify(f.path)}`);
    if (!HEX64.test(f.sha256) || !Number.isSafeInteger(f.bytes) || f.bytes < 0)
      throw new Error(`${PART_FILESTORE_INDEX}: bad entry for ${f.path}`);
  }
  return x;
}

export function indexJson(files: IndexEntry[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return `${JSON.stringify({ version: 1, files: sorted } satisfies FilestoreIndex)}\n`;
}

/** Distinct objects an index references, with their sizes. */
export function referenced(index: FilestoreIndex): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of index.files) m.set(f.sha256, f.bytes);
  return m;
}
