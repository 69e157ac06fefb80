/**
 * Filestore side of a restore on the target server: ownership for the Odoo service user and
 * streaming a compressed tar into a folder.
 */
import type { Connection } from "../../../server/sdk/index.ts";
import { runTool } from "./restore-pg.ts";

/**
 * Who must own restored files: when odoodeck acts as root on the target, the owner of the
 * instance's data_dir (the Odoo service user); otherwise files are ours already and null is
 * returned (chown would fail anyway).
 */
export async function serviceOwner(
  conn: Connection,
  dataDir: string,
): Promise<{ uid: number; gid: number } | null> {
  const id = await conn.exec(["id", "-u"]);
  if (id.stdout.trim() !== "0") return null;
  const st = await conn.stat(dataDir);
  return st ? { uid: st.uid, gid: st.gid } : null;
}

export async function chownTree(
  conn: Connection,
  path: string,
  owner: { uid: number; gid: number } | null,
): Promise<void> {
  if (!owner) return;
  await runTool(conn, ["chown", "-R", `${owner.uid}:${owner.gid}`, path], {
    what: "Setting filestore ownership",
  });
}

/**
 * A zstd-compressed tar (a file on the odoodeck machine) into `dir` on the target; tar runs
 * there and reads the file as its stdin (directly on a local connection, streamed over SSH).
 */
export async function extractTarZst(
  conn: Connection,
  archive: string,
  dir: string,
  opts: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
): Promise<void> {
  await runTool(conn, ["tar", "--use-compress-program=zstd", "--no-same-owner", "-xf", "-", "-C", dir], {
    stdin: Bun.file(archive),
    onStdinProgress: deltas(opts.onBytes),
    signal: opts.signal,
    what: "Extracting the filestore",
  });
}

/** Turns running totals into the increments `onBytes` counts. */
export function deltas(onBytes?: (n: number) => void): ((total: number) => void) | undefined {
  if (!onBytes) return undefined;
  let last = 0;
  return (total) => {
    onBytes(total - last);
    last = total;
  };
}

/** Passes bytes through, telling `onBytes` how many went by (progress). */
export function counter(onBytes?: (n: number) => void): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, c) {
      onBytes?.(chunk.byteLength);
      c.enqueue(chunk);
    },
  });
}
