/**
 * The one database of a recovered scratch cluster as a streamed source for restoreToTemp: pg_dump
 * writes to a pipe that the target's pg_restore reads (no dump file, so no free disk for one, and
 * dump and restore overlap). What restoreToTemp checks in a dump file before it creates anything
 * is read here from the source database itself, before the stream starts: the pg_dump version,
 * the extensions the target must create, and the installed modules and row counts the restored
 * copy is verified against.
 */
import type { StreamedDump } from "../restore/restore-archive.ts";
import { pgBin, runLocal } from "./tools.ts";
import type { ScratchCluster } from "./recover.ts";

/** Major version of the pg_dump the cluster's tools use ("pg_dump (PostgreSQL) 15.18 …" → 15). */
async function pgDumpMajor(): Promise<number> {
  const out = await runLocal([pgBin("pg_dump"), "--version"], { what: "pg_dump --version" });
  return Number(/\)\s*(\d+)/.exec(out)?.[1] ?? 0);
}

const rows = (out: string) => out.split("\n").filter(Boolean);

export async function streamedDump(c: ScratchCluster, dbName: string): Promise<StreamedDump> {
  const q = (sql: string) => c.psql(dbName, sql);
  const [major, extensions, bytes, isOdoo] = await Promise.all([
    pgDumpMajor(),
    q("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1").then(rows),
    q("SELECT pg_database_size(current_database())").then(Number),
    q("SELECT to_regclass('ir_module_module') IS NOT NULL AND to_regclass('ir_attachment') IS NOT NULL"),
  ]);
  let modules: string[] = [];
  let counts: StreamedDump["counts"] = null;
  if (isOdoo.trim() === "t") {
    modules = rows(await q("SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name"));
    const [users, partners, stored] = (
      await q(
        `SELECT (SELECT count(*) FROM res_users), (SELECT count(*) FROM res_partner),
                (SELECT count(*) FROM ir_attachment WHERE store_fname IS NOT NULL)`,
      )
    )
      .trim()
      .split("|")
      .map(Number);
    counts = { res_users: users!, res_partner: partners!, ir_attachment_stored: stored! };
  }
  return {
    kind: "pg-stream",
    // -Z0: zlib in pg_dump ran at ~20 MB/s on one core; the stream is not stored anywhere
    producer: { argv: c.tool("pg_dump", ["-Fc", "-Z0", dbName]) },
    pgDumpMajor: major,
    modules,
    sourceDb: dbName,
    extensions,
    counts,
    bytes,
  };
}
