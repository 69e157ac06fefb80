import { AppError } from "../errors.ts";
import { OWNER, ownerAlive } from "../process-owner.ts";
import { relativeTime } from "../../views/components/ui.tsx";
import type { CoreDb } from "../db/schema.ts";

/**
 * At most one destructive operation per instance. The lock lives in the store so it is visible to
 * every page; a crash leaves rows behind that `releaseStale` clears at start-up.
 */
export async function acquireLock(
  db: CoreDb,
  instanceId: number,
  holder: string,
  operationId: string | null,
): Promise<void> {
  const res = await db
    .insertInto("locks")
    .values({
      instance_id: instanceId,
      holder,
      operation_id: operationId,
      since: new Date().toISOString(),
      owner: OWNER,
    })
    .onConflict((oc) => oc.column("instance_id").doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) {
    const cur = await db
      .selectFrom("locks")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .executeTakeFirst();
    // Held by a process that is gone (a CLI command killed mid-way): not a reason to refuse.
    if (cur && !ownerAlive(cur.owner)) {
      await db
        .deleteFrom("locks")
        .where("instance_id", "=", instanceId)
        .where("owner", "is", cur.owner ?? null)
        .execute();
      return acquireLock(db, instanceId, holder, operationId);
    }
    throw new AppError(
      "E_BUSY",
      `Instance busy: ${cur?.holder ?? "another operation"} is running (since ${cur ? relativeTime(cur.since) : "a moment"})`,
      {
        hint: "Wait for it to finish or cancel it from the Operations page",
        details: cur,
      },
    );
  }
}

export async function releaseLock(db: CoreDb, instanceId: number, operationId: string | null): Promise<void> {
  let q = db.deleteFrom("locks").where("instance_id", "=", instanceId);
  if (operationId) q = q.where("operation_id", "=", operationId);
  await q.execute();
}

/** Releases the locks of processes that are gone; a live process's locks stay held. */
export async function releaseStaleLocks(db: CoreDb): Promise<number> {
  const rows = await db.selectFrom("locks").select(["instance_id", "owner"]).execute();
  const stale = rows.filter((r) => !ownerAlive(r.owner)).map((r) => r.instance_id);
  if (stale.length) await db.deleteFrom("locks").where("instance_id", "in", stale).execute();
  return stale.length;
}
