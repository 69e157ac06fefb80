/**
 * The filestore of a point-in-time restore: from the newest finished native backup holding a
 * filestore that was taken no later than T — a tar part or a content-addressed index (CAS), from
 * a copy on this machine. Files are not versioned by WAL, so this is "the filestore as of <that
 * backup's time>", said so in the result. It does not depend on the database: the restore
 * rebuilds it beside the cluster's recovery, in a hidden folder moved in once both are done.
 */
import { existsSync } from "node:fs";
import type { Connection } from "../../../server/sdk/index.ts";
import { PART_FILESTORE } from "../archive/format.ts";
import { PART_FILESTORE_INDEX, parseIndex } from "../filestore-store/layout.ts";
import { materializeFilestore, storeRootOf } from "../filestore-store/materialize.ts";
import { extractTarZst } from "../restore/restore-files.ts";
import { localCopy } from "../restore/restore-staging.ts";
import type { BackupRecord } from "../store.ts";

export interface FilestorePick {
  backup: string;
  asOf: string;
  /** The backup's folder on this machine. */
  dir: string;
  kind: "tar" | "cas";
}

export function pickFilestore(records: BackupRecord[], t: Date): FilestorePick | null {
  const candidates = records
    .filter((b) => b.status === "ok" && b.format === "native" && b.scope !== "db")
    .filter((b) => new Date(b.createdAt).getTime() <= t.getTime())
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  for (const b of candidates) {
    const dir = localCopy(b);
    if (!dir) continue;
    const pick = { backup: b.name, asOf: b.createdAt, dir };
    if (existsSync(`${dir}/${PART_FILESTORE}`)) return { ...pick, kind: "tar" };
    if (existsSync(`${dir}/${PART_FILESTORE_INDEX}`)) return { ...pick, kind: "cas" };
  }
  return null;
}

/** The picked filestore into the empty folder `into` on the instance's server. */
export async function restoreFilestoreAsOf(
  conn: Connection,
  pick: FilestorePick,
  into: string,
  o: { signal?: AbortSignal; link?: boolean } = {},
): Promise<void> {
  if (pick.kind === "tar")
    return extractTarZst(conn, `${pick.dir}/${PART_FILESTORE}`, into, { signal: o.signal });
  const index = parseIndex(await Bun.file(`${pick.dir}/${PART_FILESTORE_INDEX}`).text());
  await materializeFilestore(conn, index, storeRootOf(pick.dir), into, { link: o.link, signal: o.signal });
}
