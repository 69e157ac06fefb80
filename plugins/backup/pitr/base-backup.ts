/**
 * Base backups for point-in-time recovery: `pg_basebackup -Ft -z -X stream` into
 * `<archive>/base/<stamp>/` (written under a temporary name, renamed when complete, so a
 * half-made one is never picked). `-X stream` makes each base backup self-contained (its own WAL
 * from start to end), so recovery needs the archive only for what came after it.
 */
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
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
}

const META = "odoodeck-base.json";

export async function takeBaseBackup(
  archiveDir: string,
  pg: PgTarget,
  o: { signal?: AbortSignal; now?: () => Date } = {},
): Promise<BaseBackup> {
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
        "-z",
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
