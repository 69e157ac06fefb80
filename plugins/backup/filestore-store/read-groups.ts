/**
 * Where a destination reads in groups (a folder over SSH, S3), the small objects of `want`
 * (hash → bytes), group by group; the others are the caller's to read one by one.
 */
import { AppError } from "../../../server/sdk/index.ts";
import { type Destination, groups, type ManyRead } from "../destinations/types.ts";
import { hashOfObjectRel, objectRel, SMALL_OBJECT } from "./layout.ts";

/** Resolves with the hashes it handed to `each` (none where `d` does not read in groups). */
export async function readSmallInGroups(
  d: Destination,
  want: Map<string, number>,
  each: (sha: string, r: ManyRead) => Promise<void>,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const done = new Set<string>();
  if (!d.readMany) return done;
  const small = [...want].filter(([, bytes]) => bytes <= SMALL_OBJECT);
  for (const group of groups(small, ([, bytes]) => bytes)) {
    if (signal?.aborted) throw new AppError("E_CANCELLED", "Reading the object store was cancelled");
    await d.readMany(
      group.map(([sha]) => objectRel(sha)),
      async (rel, r) => {
        const sha = hashOfObjectRel(rel)!;
        done.add(sha);
        await each(sha, r);
      },
      signal,
    );
  }
  return done;
}
