/**
 * The filestore of a point-in-time restore: from the newest finished native backup holding a
 * filestore that was taken no later than T. Files are not versioned by WAL, so this is "the
 * filestore as of <that backup's time>", said so in the result; a filestore exactly as of T needs
 * the content-addressed filestore store (plugins/backup/filestore-store, another change).
 */
import { existsSync } from "node:fs";
import type { Connection } from "../../../server/sdk/index.ts";
import { PART_FILESTORE } from "../archive/format.ts";
import { extractTarZst } from "../restore/restore-files.ts";
import { localCopy } from "../restore/restore-staging.ts";
import type { BackupRecord } from "../store.ts";

export interface FilestorePick {
  backup: string;
  asOf: string;
  part: string;
}

export function pickFilestore(records: BackupRecord[], t: Date): FilestorePick | null {
  const candidates = records
    .filter((b) => b.status === "ok" && b.format === "native" && b.scope !== "db")
    .filter((b) => new Date(b.createdAt).getTime() <= t.getTime())
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  for (const b of candidates) {
    const dir = localCopy(b);
    const part = dir ? `${dir}/${PART_FILESTORE}` : null;
    if (part && existsSync(part)) return { backup: b.name, asOf: b.createdAt, part };
  }
  return null;
}

export async function restoreFilestoreAsOf(
  conn: Connection,
  pick: FilestorePick,
  into: string,
  signal?: AbortSignal,
): Promise<void> {
  await extractTarZst(conn, pick.part, into, { signal });
}
