import type { Connection, odoo } from "../../server/sdk/index.ts";

export interface FilestoreReport {
  path: string;
  exists: boolean;
  sizeBytes: number;
  fileCount: number;
  /** ir_attachment rows stored in the filestore (store_fname set) and in the database (db_datas). */
  attachmentsInFilestore: number;
  attachmentsInDb: number;
  distinctStoredFiles: number;
  /** In the filestore, referenced by no ir_attachment.store_fname. */
  orphans: string[];
  orphanCount: number;
  /** Referenced by ir_attachment.store_fname, absent from the filestore. */
  missing: string[];
  missingCount: number;
}

const SHOWN = 50;

async function run(conn: Connection, argv: string[]): Promise<string> {
  return (await conn.run(argv, { timeoutMs: 300_000, maxOutputBytes: 256 * 1024 * 1024 })).stdout;
}

/**
 * Size and files of the filestore (`find` on the server, an argument array), compared with
 * ir_attachment: files nobody references and references to files that are gone.
 */
export async function readFilestore(
  conn: Connection,
  db: odoo.OdooDb,
  path: string,
): Promise<FilestoreReport> {
  const [counts] = await db.query<{ stored: string; indb: string; distinct: string }>(
    `SELECT count(*) FILTER (WHERE store_fname IS NOT NULL) AS stored,
            count(*) FILTER (WHERE store_fname IS NULL AND db_datas IS NOT NULL) AS indb,
            count(DISTINCT store_fname) AS distinct
       FROM ir_attachment`,
  );
  const refs = new Set(
    (
      await db.query<{ f: string }>(
        "SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname IS NOT NULL",
      )
    ).map((r) => r.f),
  );
  const base = {
    path,
    attachmentsInFilestore: Number(counts.stored),
    attachmentsInDb: Number(counts.indb),
    distinctStoredFiles: Number(counts.distinct),
  };
  const st = await conn.stat(path);
  if (st?.type !== "dir") {
    const missing = [...refs].sort();
    return {
      ...base,
      exists: false,
      sizeBytes: 0,
      fileCount: 0,
      orphans: [],
      orphanCount: 0,
      missing: missing.slice(0, SHOWN),
      missingCount: missing.length,
    };
  }
  // One walk gives both the size (sum of file sizes, as `du -sb --apparent` without directories) and the names.
  const found = await run(conn, ["find", path, "-type", "f", "-printf", "%s %P\\n"]);
  let sizeBytes = 0;
  const files: string[] = [];
  for (const line of found.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    sizeBytes += Number(line.slice(0, sp));
    files.push(line.slice(sp + 1));
  }
  const onDisk = new Set(files);
  // Odoo writes new files under a temporary name while checking in; they are not orphans yet.
  const orphans = files.filter((f) => !refs.has(f) && /^[0-9a-f]{2}\/[0-9a-f]{40}$/.test(f)).sort();
  const missing = [...refs].filter((f) => !onDisk.has(f)).sort();
  return {
    ...base,
    exists: true,
    sizeBytes,
    fileCount: files.length,
    orphans: orphans.slice(0, SHOWN),
    orphanCount: orphans.length,
    missing: missing.slice(0, SHOWN),
    missingCount: missing.length,
  };
}
