/**
 * For a restore from a destination that is not on this machine: the objects a CAS backup
 * references, fetched beside the staged backup (`<staging>/objects/…`, the layout of a
 * destination), each checked against its hash. A missing or damaged object is E_BACKUP_CORRUPT.
 * Where the destination batches (a server over SSH), small objects come in groups, one stream each.
 */
import { createHash } from "node:crypto";
import { AppError, toAppError } from "../../../server/sdk/index.ts";
import { LocalDestination } from "../destinations/local.ts";
import type { Destination } from "../destinations/types.ts";
import { type FilestoreIndex, objectRel, referenced } from "./layout.ts";
import { readSmallInGroups } from "./read-groups.ts";

export async function fetchObjects(
  d: Destination,
  index: FilestoreIndex,
  intoRoot: string,
  o: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
): Promise<number> {
  const into = new LocalDestination(intoRoot, "staging");
  const want = referenced(index);
  const grouped = await readSmallInGroups(
    d,
    want,
    async (sha, r) => {
      if ("missing" in r) throw missing(sha, d);
      if ("error" in r) throw toAppError(r.error);
      if (createHash("sha256").update(r.data).digest("hex") !== sha) throw damaged(sha, d);
      o.onBytes?.(r.data.byteLength);
      const body = new Blob([r.data as Uint8Array<ArrayBuffer>]).stream() as ReadableStream<Uint8Array>;
      await into.write(objectRel(sha), body, o.signal);
    },
    o.signal,
  );
  for (const sha of want.keys()) {
    if (grouped.has(sha)) continue;
    const rel = objectRel(sha);
    const h = createHash("sha256");
    const tap = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        h.update(chunk);
        o.onBytes?.(chunk.byteLength);
        c.enqueue(chunk);
      },
    });
    try {
      await into.write(rel, d.read(rel).pipeThrough(tap), o.signal);
    } catch (e) {
      const err = toAppError(e);
      if (["E_CANCELLED", "E_DISK_FULL", "E_BACKUP_KEY", "E_BACKUP_CORRUPT"].includes(err.code)) throw err;
      if ((await d.size(rel).catch(() => 0)) === null) throw missing(sha, d);
      throw err;
    }
    if (h.digest("hex") !== sha) throw damaged(sha, d);
  }
  return want.size;
}

const missing = (sha: string, d: Destination) =>
  new AppError("E_BACKUP_CORRUPT", `Filestore object ${sha} is missing at ${d.label}`, {
    details: { verify: "corrupt" },
  });
const damaged = (sha: string, d: Destination) =>
  new AppError("E_BACKUP_CORRUPT", `Filestore object ${sha} at ${d.label} does not match its SHA-256`, {
    details: { verify: "corrupt" },
  });
