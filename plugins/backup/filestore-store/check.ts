/**
 * Proves a CAS backup's filestore is whole at a destination: every object its index references
 * exists and hashes to its name (through an encrypted destination: decrypts and hashes).
 */
import { createHash } from "node:crypto";
import { toAppError } from "../../../server/sdk/index.ts";
import { type Destination, groups } from "../destinations/types.ts";
import { digest, sha256File } from "../archive/fanout.ts";
import { objectRel } from "./layout.ts";
import { listObjects } from "./listing.ts";
import { readIndexAt } from "./read-index.ts";

const SMALL = 4 * 1024 * 1024;

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
  if (d.readMany) {
    // Where every call is a round trip: the present small objects in groups, one stream each.
    const small = [...want].filter(([sha, bytes]) => bytes <= SMALL && have.has(sha));
    for (const group of groups(small, ([, bytes]) => bytes)) {
      await d.readMany(
        group.map(([sha]) => objectRel(sha)),
        async (rel, r) => {
          const sha = rel.slice(rel.lastIndexOf("/") + 1);
          if ("error" in r && toAppError(r.error).code === "E_BACKUP_KEY") throw r.error;
          const ok =
            "data" in r &&
            r.data.byteLength === want.get(sha) &&
            createHash("sha256").update(r.data).digest("hex") === sha;
          if (!ok) out.corrupt.push(sha); // gone since the listing, or damaged
          want.delete(sha);
          out.checked++;
        },
      );
    }
  }
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
