/**
 * Base backups for point-in-time recovery: `pg_basebackup -Ft -X stream` into
 * `<archive>/base/<stamp>/` (written under a temporary name, renamed when complete, so a
 * half-made one is never picked). `-X stream` makes each base backup self-contained (its own WAL
 * from start to end), so recovery needs the archive only for what came after it.
 *
 * Compression: zstd level 1 on every core (`--compress=client-zstd:level=1,workers=N`, libzstd
 * inside pg_basebackup: base.tar.zst, with pg_wal.tar left plain as PostgreSQL 15 does for zstd).
 * gzip (`-z`: base.tar.gz + pg_wal.tar.gz, the layout of older archives, which still restore) is
 * single-threaded both ways and was the slowest stage of a restore (bench/pitr.ts); it is kept
 * for a machine without the `zstd` program, which a restore needs to unpack base.tar.zst.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { PgTarget } from "../restore/restore-pg.ts";
import { compactStamp } from "../restore/restore-pg.ts";
import { asClusterUser, clusterDir, pgBin, replicationArgs, runLocal, toolEnv } from "./tools.ts";

export interface BaseBackup {
  name: string;
  dir: string;
  startedAt: string;
  /** The first moment it can be recovered to (its end: consistency is reached there). */
  finishedAt: string;
  startLsn: string;
  endLsn: string;
  timeline: number;
  bytes: number;
  /** How its tar files are compressed; absent in archives made before zstd (they are gzip). */
  compression?: BaseCompression;
}

export type BaseCompression = "zstd" | "gzip";

/** zstd when this machine can unpack it again (the `zstd` program, for tar), else gzip. */
export function defaultCompression(): BaseCompression {
  return Bun.which("zstd") ? "zstd" : "gzip";
}

/** pg_basebackup's compression arguments (client side: the server's CPU is left alone). */
function compressArgs(c: BaseCompression): string[] {
  if (c === "gzip") return ["-z"];
  const workers = Math.max(1, availableParallelism());
  return [`--compress=client-zstd:level=1${workers > 1 ? `,workers=${workers}` : ""}`];
}

/**
 * The archive files of a base backup as they are on disk (data directory tar, then its WAL tar),
 * whichever compression made them: what recovery unpacks and a fetch from a destination brings.
 */
export function baseArchiveFiles(dir: string): { base: string; wal: string } {
  const pick = (stem: string) =>
    [`${stem}.zst`, `${stem}.gz`, stem].find((f) => existsSync(join(dir, f))) ?? `${stem}.gz`;
  return { base: pick("base.tar"), wal: pick("pg_wal.tar") };
}

/** The names a base backup's archive files have for a compression (gzip: the older layout). */
export function archiveNames(c: BaseCompression | undefined): string[] {
  return c === "zstd" ? ["base.tar.zst", "pg_wal.tar"] : ["base.tar.gz", "pg_wal.tar.gz"];
}

const META = "odoodeck-base.json";

export async function takeBaseBackup(
  archiveDir: string,
  pg: PgTarget,
  o: { signal?: AbortSignal; now?: () => Date; compression?: BaseCompression } = {},
): Promise<BaseBackup> {
  const compression = o.compression ?? defaultCompression();
  const now = o.now ?? (() => new Date());
  const started = now();
  const name = compactStamp(started);
  const baseRoot = join(archiveDir, "base");
  await clusterDir(baseRoot);
  const tmp = join(baseRoot, `.${name}.partial`);
  const dir = join(baseRoot, name);
  try {
    await runLocal(
      asClusterUser([
        pgBin("pg_basebackup"),
        ...replicationArgs(pg),
        "-D",
        tmp,
        "-Ft",
        ...compressArgs(compression),
        "-X",
        "stream",
        "--checkpoint=fast", // start now, not at the next scheduled checkpoint
        "--label",
        `odoodeck ${name}`,
      ]),
      { env: toolEnv(pg), what: "pg_basebackup", signal: o.signal },
    );
    const manifest = JSON.parse(await readFile(join(tmp, "backup_manifest"), "utf8")) as {
      "WAL-Ranges": Array<{ Timeline: number; "Start-LSN": string; "End-LSN": string }>;
    };
    const range = manifest["WAL-Ranges"].at(-1)!;
    let bytes = 0;
    for (const f of await readdir(tmp)) bytes += Bun.file(join(tmp, f)).size;
    const meta: BaseBackup = {
      name,
      dir,
      startedAt: started.toISOString(),
      finishedAt: now().toISOString(),
      startLsn: range["Start-LSN"],
      endLsn: range["End-LSN"],
      timeline: range.Timeline,
      bytes,
      compression,
    };
    await writeFile(join(tmp, META), JSON.stringify(meta, null, 2));
    await rename(tmp, dir);
    return meta;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Complete base backups, oldest first. */
export async function listBaseBackups(archiveDir: string): Promise<BaseBackup[]> {
  const root = join(archiveDir, "base");
  const names = await readdir(root).catch(() => [] as string[]);
  const out: BaseBackup[] = [];
  for (const n of names.filter((n) => !n.startsWith(".")).sort()) {
    const meta = await readFile(join(root, n, META), "utf8").catch(() => null);
    if (meta) out.push({ ...(JSON.parse(meta) as BaseBackup), dir: join(root, n) });
  }
  return out;
}
