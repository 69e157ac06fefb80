/**
 * Checks a restored copy before it may go live: row counts and installed modules against what
 * the backup says, and every `ir_attachment.store_fname` present in the restored filestore.
 */
import type { Connection, odoo } from "../../../server/sdk/index.ts";

export interface RestoreExpectations {
  counts?: { res_users: number; res_partner: number; ir_attachment_stored: number } | null;
  /** Installed module names; empty or null: not checked. */
  modules?: string[] | null;
}

export interface RestoreCheck {
  counts: { res_users: number; res_partner: number; ir_attachment_stored: number };
  modules: number;
  filestoreFiles: number;
  missingFiles: string[];
  problems: string[];
}

/** Relative paths of every regular file below `dir` on the target. */
export async function listFiles(conn: Connection, dir: string): Promise<Set<string>> {
  const res = await conn.exec(["find", dir, "-type", "f", "-printf", "%P\\n"], {
    maxOutputBytes: 512 * 1024 * 1024,
  });
  if (res.code !== 0) return new Set();
  return new Set(res.stdout.split("\n").filter(Boolean));
}

export async function verifyRestoredCopy(
  conn: Connection,
  db: odoo.OdooDb,
  filestoreDir: string | null,
  expect: RestoreExpectations,
): Promise<RestoreCheck> {
  const [c] = await db.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM res_users) AS res_users,
            (SELECT count(*) FROM res_partner) AS res_partner,
            (SELECT count(*) FROM ir_attachment WHERE store_fname IS NOT NULL) AS ir_attachment_stored`,
  );
  const counts = {
    res_users: Number(c.res_users),
    res_partner: Number(c.res_partner),
    ir_attachment_stored: Number(c.ir_attachment_stored),
  };
  const problems: string[] = [];
  if (expect.counts) {
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) {
      if (counts[k] !== expect.counts[k])
        problems.push(`${k}: ${counts[k]} rows restored, the backup recorded ${expect.counts[k]}`);
    }
  }
  const installed = (
    await db.query<{ name: string }>(
      "SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name",
    )
  ).map((r) => r.name);
  if (expect.modules?.length) {
    const have = new Set(installed);
    const want = new Set(expect.modules);
    const missing = expect.modules.filter((m) => !have.has(m));
    const extra = installed.filter((m) => !want.has(m));
    if (missing.length) problems.push(`modules missing after restore: ${missing.join(", ")}`);
    if (extra.length) problems.push(`modules installed but not in the backup: ${extra.join(", ")}`);
  }
  let missingFiles: string[] = [];
  let filestoreFiles = 0;
  if (filestoreDir) {
    const files = await listFiles(conn, filestoreDir);
    filestoreFiles = files.size;
    const fnames = (
      await db.query<{ f: string }>(
        "SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname IS NOT NULL",
      )
    ).map((r) => r.f);
    missingFiles = fnames.filter((f) => !files.has(f));
    if (missingFiles.length)
      problems.push(
        `${missingFiles.length} attachment file(s) missing from the filestore, e.g. ${missingFiles.slice(0, 3).join(", ")}`,
      );
  }
  return { counts, modules: installed.length, filestoreFiles, missingFiles, problems };
}
