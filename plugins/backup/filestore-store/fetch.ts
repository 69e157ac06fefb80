/**
 * For a restore from a destination that is not on this machine: the objects a CAS backup
 * references, fetched beside the staged backup (`<staging>/objects/…`, the layout of a
 * destination), each checked against its hash. A missing or damaged object is E_BACKUP_CORRUPT.
 * Where the destination batches (a server over SSH), small objects come in groups, one stream each.
 */
import { createHash } from "node:crypto";
import { AppError, toAppError } from "../../../server/sdk/index.ts";
import { LocalDestination } from "../destinations/local.ts";
import { type Destination, groups } from "../destinations/types.ts";
import { type FilestoreIndex, objectRel } from "./layout.ts";

export async function fetchObjects(
  d: Destination,
  index: FilestoreIndex,
  intoRoot: string,
  o: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
): Promise<number> {
  const into = new LocalDestination(intoRoot, "staging");
  const want = new Map(index.files.map((f) => [f.sha256, f.bytes]));
  const one = [...want.keys()];
  if (d.readMany) {
    const small = [...want].filter(([, bytes]) => bytes <= SMALL);
    for (const group of groups(small, ([, bytes]) => bytes)) {
      if (o.signal?.aborted) throw new AppError("E_CANCELLED", "The restore was cancelled");
      await d.readMany(
        group.map(([sha]) => objectRel(sha)),
        async (rel, r) => {
          const sha = rel.slice(rel.lastIndexOf("/") + 1);
          if ("missing" in r) throw missing(sha, d);
          if ("error" in r) throw toAppError(r.error);
          if (createHash("sha256").update(r.data).digest("hex") !== sha) throw damaged(sha, d);
          o.onBytes?.(r.data.byteLength);
          await into.write(
            rel,
            new Blob([r.data as Uint8Array<ArrayBuffer>]).stream() as ReadableStream<Uint8Array>,
            o.signal,
          );
        },
        o.signal,
      );
    }
    one.splice(0, one.length, ...[...want].filter(([, bytes]) => bytes > SMALL).map(([sha]) => sha));
  }
  for (const sha of one) {
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

/** Objects up to this size travel in groups where the destination batches. */
const SMALL = 4 * 1024 * 1024;

const missing = (sha: string, d: Destination) =>
  new AppError("E_BACKUP_CORRUPT", `Filestore object ${sha} is missing at ${d.label}`, {
    details: { verify: "corrupt" },
  });
const damaged = (sha: string, d: Destination) =>
  new AppError("E_BACKUP_CORRUPT", `Filestore object ${sha} at ${d.label} does not match its SHA-256`, {
    details: { verify: "corrupt" },
  });
