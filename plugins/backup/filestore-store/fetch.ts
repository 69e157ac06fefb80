/**
 * For a restore from a destination that is not on this machine: the objects a CAS backup
 * references, fetched beside the staged backup (`<staging>/objects/…`, the layout of a
 * destination), each checked against its hash. A missing or damaged object is E_BACKUP_CORRUPT.
 */
import { createHash } from "node:crypto";
import { AppError, toAppError } from "../../../server/sdk/index.ts";
import { LocalDestination } from "../destinations/local.ts";
import type { Destination } from "../destinations/types.ts";
import { type FilestoreIndex, objectRel } from "./layout.ts";

export async function fetchObjects(
  d: Destination,
  index: FilestoreIndex,
  intoRoot: string,
  o: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
): Promise<number> {
  const into = new LocalDestination(intoRoot, "staging");
  const want = new Map(index.files.map((f) => [f.sha256, f.bytes]));
  for (const [sha] of want) {
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
      if ((await d.size(rel).catch(() => 0)) === null)
        throw new AppError("E_BACKUP_CORRUPT", `Filestore object ${sha} is missing at ${d.label}`, {
          details: { verify: "corrupt" },
        });
      throw err;
    }
    if (h.digest("hex") !== sha)
      throw new AppError(
        "E_BACKUP_CORRUPT",
        `Filestore object ${sha} at ${d.label} does not match its SHA-256`,
        {
          details: { verify: "corrupt" },
        },
      );
  }
  return want.size;
}
