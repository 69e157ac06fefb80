/**
 * Proves a CAS backup's filestore is whole at a destination: every object its index references
 * exists and hashes to its name (through an encrypted destination: decrypts and hashes).
 */
import { createHash } from "node:crypto";
import { toAppError } from "../../../server/sdk/index.ts";
import type { Destination } from "../destinations/types.ts";
import { digest, sha256File } from "../archive/fanout.ts";
import { objectRel, referenced } from "./layout.ts";
import { listObjects } from "./listing.ts";
import { readIndexAt } from "./read-index.ts";
import { readSmallInGroups } from "./read-groups.ts";

export interface CheckResult {
  checked: number;
  missing: string[];
  corrupt: string[];
}

export async function checkObjects(d: Destination, backupName: string): Promise<CheckResult> {
  const index = await readIndexAt(d, backupName);
  const want = referenced(index);
  const have = await listObjects(d);
  const out: CheckResult = { checked: 0, missing: [], corrupt: [] };
  const present = new Map([...want].filter(([sha]) => have.has(sha)));
  const grouped = await readSmallInGroups(d, present, async (sha, r) => {
    if ("error" in r && toAppError(r.error).code === "E_BACKUP_KEY") throw r.error;
    const ok =
      "data" in r &&
      r.data.byteLength === want.get(sha) &&
      createHash("sha256").update(r.data).digest("hex") === sha;
    out.checked++;
    if (!ok) out.corrupt.push(sha); // gone since the listing, or damaged
  });
  for (const [sha, bytes] of want) {
    if (grouped.has(sha)) continue;
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
