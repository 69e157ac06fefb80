/**
 * Frees objects no backup at the destination references any more: mark from the index of every
 * published CAS backup there (whatever instance made it: a destination may be shared), sweep the
 * rest, including temporary names left by an interrupted upload. A backup whose manifest or index
 * cannot be read stops the sweep: unsure what it references, nothing is deleted.
 */
import { MANIFEST_FILE, parseBackupName } from "../archive/format.ts";
import type { Destination } from "../destinations/types.ts";
import { AGE_SUFFIX } from "../encryption/age.ts";
import { EncryptedDestination } from "../encryption/encrypted-destination.ts";
import { hashOfObjectRel, OBJECTS_DIR } from "./layout.ts";
import { rawObjects } from "./listing.ts";
import { withSweepLock } from "./lock.ts";
import { isCas, readIndexAt, readManifestAt } from "./read-index.ts";

export interface GcResult {
  backups: number;
  referenced: number;
  removed: number;
}

/** The objects every CAS backup published at `d` references. */
export async function markReferenced(d: Destination): Promise<{ backups: number; marked: Set<string> }> {
  const marked = new Set<string>();
  let backups = 0;
  for (const name of await d.list()) {
    const parsed = parseBackupName(name);
    if (parsed && parsed.format !== "native") continue;
    // A folder renamed by hand (or named by another version) still holds a backup if it has a
    // manifest: its objects are kept. Names starting with "." are uploads in progress (the lock).
    if (!parsed && (name.startsWith(".") || (await d.size(`${name}/${MANIFEST_FILE}`)) === null)) continue;
    if (!isCas(await readManifestAt(d, name))) continue;
    backups++;
    for (const f of (await readIndexAt(d, name)).files) marked.add(f.sha256);
  }
  return { backups, marked };
}

export function collectGarbage(d: Destination, log: (line: string) => void = () => {}): Promise<GcResult> {
  return withSweepLock(d.id, async () => {
    const enc = d instanceof EncryptedDestination;
    const raw = enc ? d.inner : d;
    const stored = await rawObjects(raw);
    // No object store here (tar backups only): nothing to read, nothing to free.
    if (!stored.length) return { backups: 0, referenced: 0, removed: 0 };
    const { backups, marked } = await markReferenced(d);
    const garbage: string[] = [];
    for (const name of stored) {
      const plain = enc && name.endsWith(AGE_SUFFIX) ? name.slice(0, -AGE_SUFFIX.length) : name;
      const h = hashOfObjectRel(plain);
      if (h && marked.has(h) && (!enc || plain !== name)) continue;
      garbage.push(`${OBJECTS_DIR}/${name}`);
    }
    // Where every call is a round trip, in groups; elsewhere one by one.
    if (raw.removeMany) await raw.removeMany(garbage);
    else for (const rel of garbage) await raw.remove(rel);
    const removed = garbage.length;
    log(`${d.id}: ${backups} backups reference ${marked.size} objects; ${removed} unreferenced removed`);
    return { backups, referenced: marked.size, removed };
  });
}
