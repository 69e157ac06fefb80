/**
 * Filestore side of a restore on the target server: ownership for the Odoo service user and
 * streaming a compressed tar into a folder.
 */
import type { Connection } from "../../server/sdk/index.ts";
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

/** Streams a zstd-compressed tar (local file) into `dir` on the target; tar runs there. */
export async function extractTarZst(
  conn: Connection,
  body: ReadableStream<Uint8Array>,
  dir: string,
  signal?: AbortSignal,
): Promise<void> {
  await runTool(conn, ["tar", "--use-compress-program=zstd", "--no-same-owner", "-xf", "-", "-C", dir], {
    stdin: body,
    signal,
    what: "Extracting the filestore",
  });
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
