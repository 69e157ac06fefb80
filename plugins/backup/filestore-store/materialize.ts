/**
 * Rebuilds a filestore from objects on the odoodeck machine (the local destination's store, or
 * the objects a restore fetched beside the backup). Each object is hashed first: a damaged
 * object fails the restore (E_BACKUP_CORRUPT) before the copy can go live.
 *  - target on this machine: hard links when on the same filesystem (no second copy of 50 GB;
 *    safe because Odoo never rewrites a filestore file in place), else copies;
 *  - target on another server: one tar stream into `tar -x` there.
 */
import { createReadStream } from "node:fs";
import { copyFile, link, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import type { Connection } from "../../../server/sdk/index.ts";
import { AppError } from "../../../server/sdk/index.ts";
import { sha256File } from "../archive/fanout.ts";
import { runTool } from "../restore/restore-pg.ts";
import { tarStream } from "../archive/tar-writer.ts";
import { type FilestoreIndex, objectRel } from "./layout.ts";

const corrupt = (sha: string, why: string) =>
  new AppError("E_BACKUP_CORRUPT", `Filestore object ${sha} ${why}`, {
    hint: "Run the backup's check: the object store at that destination was damaged",
  });

export interface MaterializeOptions {
  /** Hard links allowed (the target folder is on this machine and keeps odoodeck's ownership). */
  link?: boolean;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}

/** The folder holding `objects/` for a backup folder (a CAS backup's objects sit beside it). */
export function storeRootOf(backupDir: string): string {
  return dirname(backupDir);
}

export async function materializeFilestore(
  conn: Connection,
  index: FilestoreIndex,
  storeRoot: string,
  targetDir: string,
  o: MaterializeOptions = {},
): Promise<{ files: number; linked: number }> {
  const obj = (sha: string) => join(storeRoot, objectRel(sha));
  if (conn.kind === "local") {
    let linked = 0;
    const checked = new Set<string>();
    for (const f of index.files) {
      if (o.signal?.aborted) throw new AppError("E_CANCELLED", "The restore was cancelled");
      const src = obj(f.sha256);
      if (!checked.has(f.sha256)) {
        const got = await sha256File(src).catch(() => null);
        if (!got) throw corrupt(f.sha256, `(for ${f.path}) is missing in ${storeRoot}`);
        if (got.sha256 !== f.sha256) throw corrupt(f.sha256, `(for ${f.path}) does not match its SHA-256`);
        checked.add(f.sha256);
      }
      const dst = join(targetDir, f.path);
      await mkdir(dirname(dst), { recursive: true });
      const linkedOk = o.link
        ? await link(src, dst).then(
            () => true,
            () => false,
          )
        : false;
      if (linkedOk) linked++;
      else await copyFile(src, dst);
      o.onBytes?.(f.bytes);
    }
    return { files: index.files.length, linked };
  }
  // A bad object ends the stream early; tar may not notice a cut after a whole entry, so the
  // failure is kept here and wins over whatever tar says.
  let failure: AppError | null = null;
  const fail = (e: AppError) => {
    failure ??= e;
    return e;
  };
  const inputs = index.files.map((f) => ({
    path: f.path,
    size: f.bytes,
    open: () => checkedRead(obj(f.sha256), f.sha256, fail, o.onBytes),
  }));
  try {
    await runTool(conn, ["tar", "--no-same-owner", "-xf", "-", "-C", targetDir], {
      stdin: tarStream(inputs),
      signal: o.signal,
      what: "Writing the filestore",
    });
  } catch (e) {
    throw failure ?? e;
  }
  if (failure) throw failure;
  return { files: index.files.length, linked: 0 };
}

/** An object's bytes, erroring at the end (before tar sees a whole entry) when they do not match. */
function checkedRead(
  path: string,
  sha: string,
  fail: (e: AppError) => AppError,
  onBytes?: (n: number) => void,
): ReadableStream<Uint8Array> {
  const h = createHash("sha256");
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  file.on("error", () => fail(corrupt(sha, `is missing in ${dirname(dirname(dirname(path)))}`)));
  const src = Readable.toWeb(file) as unknown as ReadableStream<Uint8Array>;
  return src.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        h.update(chunk);
        onBytes?.(chunk.byteLength);
        c.enqueue(chunk);
      },
      flush(c) {
        if (h.digest("hex") !== sha) c.error(fail(corrupt(sha, "does not match its SHA-256")));
      },
    }),
  );
}
