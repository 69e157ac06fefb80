/**
 * Which temporary copies are ours, and whether their maker still runs. Before a restore, copy or
 * restore test makes `<base>__restore_<stamp>` (a database, a filestore folder, `.<name>.work`),
 * it claims the prefix `<base>__restore_` for its process (pid, boot id, a random per-process
 * token). A name is a leftover only when a claim covers it (that prefix, then a stamp within the
 * claim's lifetime) and the claim's process is gone or done with it. A live claim protects what it
 * covers, whichever odoodeck process holds it (the server, or a CLI command started beside it).
 * A name that no claim covers is never ours, however it looks.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Kysely } from "../../../server/sdk/index.ts";
import { compactStamp, fitName } from "./restore-pg.ts";

const TABLE = "backup_scratch_claims";
const TOKEN = randomUUID();
const BOOT_ID = (() => {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return ""; // not Linux: the pid alone says whether the process runs
  }
})();

/** What restore.ts and copy.ts put before the 14-digit stamp of a temporary copy for `dbName`. */
export function tempPrefix(dbName: string, mark = "__restore_"): string {
  return fitName(dbName, `${mark}${"0".repeat(14)}`).slice(0, -14);
}

export interface ScratchClaim {
  id: number;
  /** The instance whose server and cluster hold the copies. */
  instanceId: number;
  prefix: string;
  /** The live database a restore swaps the copy into (null: a new database, a scratch copy). */
  swapDb: string | null;
  /** Who made it, for the sweep's report: "restore test #12 of acme". */
  owner: string;
  pid: number;
  bootId: string;
  token: string;
  claimedAt: string;
  endedAt: string | null;
  alive: boolean;
}

function isAlive(r: any): boolean {
  if (r.ended_at) return false;
  if (r.token === TOKEN) return true;
  if (Number(r.pid) === process.pid) return false; // an earlier process with our pid (PID 1 in a container)
  if (BOOT_ID && r.boot_id !== BOOT_ID) return false; // the machine restarted since
  try {
    process.kill(Number(r.pid), 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // runs, as another user
  }
}

/** Whether `name` is one of the copies `c` made: its prefix, then a stamp within its lifetime. */
export function claimCovers(
  c: Pick<ScratchClaim, "prefix" | "claimedAt" | "endedAt">,
  name: string,
): boolean {
  if (!name.startsWith(c.prefix)) return false;
  const stamp = name.slice(c.prefix.length);
  return (
    /^\d{14}$/.test(stamp) &&
    stamp >= compactStamp(new Date(c.claimedAt)) &&
    (!c.endedAt || stamp <= compactStamp(new Date(c.endedAt)))
  );
}

export class ScratchClaims {
  constructor(readonly db: Kysely<any>) {}

  /**
   * Claims the temporary names for `dbName` until `release` is called: with `clean` (nothing was
   * left behind) the claim is forgotten, else it ends and the next sweep removes what it covers.
   */
  async claim(c: {
    instanceId: number;
    dbName: string;
    swapDb?: string | null;
    owner: string;
  }): Promise<(clean: boolean) => Promise<void>> {
    const row = await this.db
      .insertInto(TABLE)
      .values({
        instance_id: c.instanceId,
        prefix: tempPrefix(c.dbName),
        swap_db: c.swapDb ?? null,
        owner: c.owner,
        pid: process.pid,
        boot_id: BOOT_ID,
        token: TOKEN,
        claimed_at: new Date().toISOString(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const id = Number(row.id);
    return async (clean) => {
      if (clean) await this.forget([id]);
      else
        await this.db
          .updateTable(TABLE)
          .set({ ended_at: new Date().toISOString() })
          .where("id", "=", id)
          .execute();
    };
  }

  /** Every claim. One whose process died is ended now, so it covers nothing made after this. */
  async list(): Promise<ScratchClaim[]> {
    const rows = await this.db.selectFrom(TABLE).selectAll().orderBy("id").execute();
    const now = new Date().toISOString();
    const out: ScratchClaim[] = [];
    for (const r of rows) {
      const alive = isAlive(r);
      if (!alive && !r.ended_at) {
        await this.db.updateTable(TABLE).set({ ended_at: now }).where("id", "=", r.id).execute();
        r.ended_at = now;
      }
      out.push({
        id: Number(r.id),
        instanceId: Number(r.instance_id),
        prefix: r.prefix,
        swapDb: r.swap_db ?? null,
        owner: r.owner,
        pid: Number(r.pid),
        bootId: r.boot_id,
        token: r.token,
        claimedAt: r.claimed_at,
        endedAt: r.ended_at ?? null,
        alive,
      });
    }
    return out;
  }

  async forget(ids: number[]): Promise<void> {
    if (ids.length) await this.db.deleteFrom(TABLE).where("id", "in", ids).execute();
  }
}

/** Runs `fn` under a claim; a run that ended well leaves nothing, so its claim is forgotten. */
export async function withScratchClaim<T>(
  db: Kysely<any>,
  c: Parameters<ScratchClaims["claim"]>[0],
  fn: () => Promise<T>,
): Promise<T> {
  const release = await new ScratchClaims(db).claim(c);
  let clean = false;
  try {
    const r = await fn();
    clean = true;
    return r;
  } finally {
    await release(clean).catch(() => {});
  }
}
