/**
 * Proves a CAS backup's filestore is whole at a destination: every object its index references
 * exists and hashes to its name (through an encrypted destination: decrypts and hashes).
 */
import { toAppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { digest, sha256File } from "../archive/fanout.ts";
import { objectRel } from "./layout.ts";
import { listObjects } from "./listing.ts";
import { readIndexAt } from "./read-index.ts";

export interface CheckResult {
  checked: number;
  missing: string[];
  corrupt: string[];
}

export async function checkObjects(d: Destination, backupName: string): Promise<CheckResult> {
  const index = await readIndexAt(d, backupName);
  const want = new Map(index.files.map((f) => [f.sha256, f.bytes]));
  const have = await listObjects(d);
  const out: CheckResult = { checked: 0, missing: [], corrupt: [] };
  for (const [sha, bytes] of want) {
    out.checked++;
    if (!have.has(sha)) {
      out.missing.push(sha);
      continue;
    }
    const rel = objectRel(sha);
    try {
      const got = d.localPath ? await sha256File(d.localPath(rel)) : await digest(d.read(rel));
      if (got.sha256 !== sha || got.bytes !== bytes) out.corrupt.push(sha);
    } catch (e) {
      if (toAppError(e).code === "E_BACKUP_KEY") throw e;
      out.corrupt.push(sha);
    }
  }
  return out;
}
