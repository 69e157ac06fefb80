/**
 * Native database part: decompress `db.dump.zst` to a file on the target (pg_restore -j needs a
 * seekable archive), check extensions, then `pg_restore -j N --no-owner --no-acl` with the TOC
 * filtered of `COMMENT ON EXTENSION` (only the extension owner may run it).
 */
import { join } from "node:path";
import { AppError, type Connection } from "../../server/sdk/index.ts";
import type { ManifestPart } from "./format.ts";
import { counter } from "./restore-files.ts";
import { type PgTarget, maintenanceDb, pgArgs, pgEnv, runTool, uncreatableExtensions } from "./restore-pg.ts";

/** Extension names a pg_restore TOC listing creates. */
export function tocExtensions(toc: string): string[] {
  return [...toc.matchAll(/^\d+; \d+ \d+ EXTENSION - (\S+)/gm)].map((m) => m[1]);
}

/** The TOC without entries a non-owner cannot restore. */
export function filterToc(toc: string): string {
  return toc
    .split("\n")
    .filter((l) => !/^\d+; \d+ \d+ COMMENT - EXTENSION /.test(l))
    .join("\n");
}

export function extensionError(names: string[]): AppError {
  return new AppError(
    "E_PERMISSION",
    `The restore needs extension(s) this PostgreSQL role cannot create: ${names.join(", ")}`,
    {
      hint:
        "Install the PostgreSQL contrib package on the database server, or have a superuser run " +
        `CREATE EXTENSION ${names[0]} in template1 (or grant the role superuser for the restore)`,
    },
  );
}

/** Step 1 (touches nothing live): the dump as a file on the target and its checked TOC. */
export async function prepareNativeDump(o: {
  conn: Connection;
  pg: PgTarget;
  dir: string;
  part: ManifestPart;
  workDir: string;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}): Promise<{ dumpFile: string; tocFile: string }> {
  const dumpFile = `${o.workDir}/db.dump`;
  const tocFile = `${o.workDir}/toc.list`;
  const body = Bun.file(join(o.dir, o.part.name)).stream().pipeThrough(counter(o.onBytes));
  await runTool(o.conn, ["zstd", "-d", "-q", "-f", "-o", dumpFile], {
    stdin: body,
    signal: o.signal,
    what: "Decompressing the database dump",
  });
  const toc = await runTool(o.conn, ["pg_restore", "-l", dumpFile], {
    signal: o.signal,
    what: "Reading the dump's table of contents",
  });
  const bad = await uncreatableExtensions(maintenanceDb(o.conn, o.pg), tocExtensions(toc));
  if (bad.length) throw extensionError(bad);
  await o.conn.writeFile(tocFile, filterToc(toc), { atomic: false });
  return { dumpFile, tocFile };
}

/** Step 2: restore into an existing empty database. */
export async function pgRestoreNative(o: {
  conn: Connection;
  pg: PgTarget;
  dbName: string;
  dumpFile: string;
  tocFile: string;
  jobs: number;
  signal?: AbortSignal;
}): Promise<void> {
  await runTool(
    o.conn,
    [
      "pg_restore",
      `--jobs=${o.jobs}`,
      "--no-owner",
      "--no-acl",
      "--exit-on-error",
      `--use-list=${o.tocFile}`,
      ...pgArgs(o.pg),
      "-d",
      o.dbName,
      o.dumpFile,
    ],
    { env: pgEnv(o.pg), signal: o.signal, what: "pg_restore" },
  );
}
