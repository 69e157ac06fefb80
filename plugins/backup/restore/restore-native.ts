/**
 * Native database part: `db.dump.zst` (a `pg_dump -Fc -Z0` archive, zstd-compressed) streamed
 * into pg_restore on the target, decompressed there by zstd. Nothing is unpacked to disk first:
 * writing the ~1 GB uncompressed dump cost 3 s of a 1 GB restore (and as much free space on the
 * target). Three passes:
 *   1. the head of the archive, up to the end of its TOC (pg_restore -l stops there), kept as a
 *      small file: extensions are checked and `COMMENT ON EXTENSION` (only the extension owner
 *      may run it) is dropped from the list;
 *   2. schema and data, piped (a pipe allows no -j; the data of one big table is one COPY anyway);
 *   3. indexes, constraints and triggers with `-j2` from the head file: they need no data, and in
 *      parallel they take 30% less time on a real Odoo database (the fixture's 5,700 entries).
 */
import { join } from "node:path";
import { AppError, type Connection } from "../../../server/sdk/index.ts";
import type { ManifestPart } from "../archive/format.ts";
import { exitMarkers } from "../archive/pipeline.ts";
import { deltas } from "./restore-files.ts";
import {
  type PgTarget,
  maintenanceDb,
  pgArgs,
  pgEnv,
  runTool,
  toolFailed,
  uncreatableExtensions,
} from "./restore-pg.ts";

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

/**
 * stdin, decompressed by zstd, piped into "$@"; zstd's exit status comes back as a marker line on
 * stderr (`exitMarkers`). The script is a constant; arguments are positional.
 */
const UNZSTD_INTO = `{ zstd -dcq; echo "odoodeck-zstd:$?" >&2; } | "$@"`;
/** Pass 1: keeps what pg_restore -l read (tee stops once it quit) in "$1". */
const HEAD_SCRIPT = `{ zstd -dcq; echo "odoodeck-zstd:$?" >&2; } | tee -- "$1" | pg_restore -l`;
/** zstd killed by SIGPIPE: the tool stopped reading (pg_restore -l after the TOC). */
const SIGPIPE = 141;

interface PartInput {
  conn: Connection;
  /** The backup folder on the odoodeck machine. */
  dir: string;
  part: ManifestPart;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}

/** Runs `argv` on the target with the part, decompressed, as its stdin; returns its stdout. */
async function feedDecompressed(
  o: PartInput & { argv: string[]; script?: string; env?: Record<string, string>; what: string },
): Promise<string> {
  const res = await o.conn.exec(["sh", "-c", o.script ?? UNZSTD_INTO, "odoodeck", ...o.argv], {
    env: o.env,
    signal: o.signal,
    stdin: Bun.file(join(o.dir, o.part.name)),
    onStdinProgress: deltas(o.onBytes),
    maxOutputBytes: 64 * 1024 * 1024,
  });
  const { codes, message: stderr } = exitMarkers(res.stderr);
  const zstdCode = codes.get("zstd") ?? 0;
  if (zstdCode === 127)
    throw new AppError("E_COMMAND_FAILED", `zstd is not installed on ${o.conn.label}`, {
      hint: `Install zstd on ${o.conn.label} (apt install zstd)`,
    });
  if (zstdCode !== 0 && zstdCode !== SIGPIPE)
    throw new AppError("E_BACKUP_CORRUPT", `The database dump ${o.part.name} cannot be decompressed`, {
      hint: "Pick another backup; this one cannot be restored safely",
      details: { stderr: stderr.slice(-4000) },
    });
  if (res.code !== 0) throw toolFailed(o.what, stderr, res.code);
  return res.stdout;
}

export interface PreparedDump {
  /** The archive's head (header and TOC) as a file on the target. */
  headFile: string;
  /** The TOC listing to restore (`--use-list`), filtered. */
  tocFile: string;
}

/** Pass 1 (touches nothing live): the head and the checked TOC listing, in `workDir` on the target. */
export async function prepareNativeDump(
  o: PartInput & { pg: PgTarget; workDir: string },
): Promise<PreparedDump> {
  const headFile = `${o.workDir}/head.dump`;
  const toc = await feedDecompressed({
    ...o,
    onBytes: undefined, // only the head is read here; progress counts the restore's pass
    script: HEAD_SCRIPT,
    argv: [headFile],
    what: "Reading the dump's table of contents",
  });
  const bad = await uncreatableExtensions(maintenanceDb(o.conn, o.pg), tocExtensions(toc));
  if (bad.length) throw extensionError(bad);
  const tocFile = `${o.workDir}/toc.list`;
  await o.conn.writeFile(tocFile, filterToc(toc), { atomic: false });
  return { headFile, tocFile };
}

/** Passes 2 and 3: into an existing empty database. */
export async function pgRestoreNative(
  o: PartInput & PreparedDump & { pg: PgTarget; dbName: string },
): Promise<void> {
  const common = [
    "--no-owner",
    "--no-acl",
    "--exit-on-error",
    `--use-list=${o.tocFile}`,
    ...pgArgs(o.pg),
    "-d",
    o.dbName,
  ];
  await feedDecompressed({
    ...o,
    argv: ["pg_restore", "--section=pre-data", "--section=data", ...common],
    env: pgEnv(o.pg),
    what: "pg_restore",
  });
  await runTool(o.conn, ["pg_restore", "--jobs=2", "--section=post-data", ...common, o.headFile], {
    env: pgEnv(o.pg),
    signal: o.signal,
    what: "pg_restore (indexes and constraints)",
  });
}
