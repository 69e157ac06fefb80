import type { Kysely } from "kysely";
import { AppError } from "../errors.ts";
import { relativeTime } from "../../views/components/ui.tsx";

/**
 * At most one destructive operation per instance. The lock lives in the store so it is visible to
 * every page; a crash leaves rows behind that `releaseStale` clears at start-up.
 */
export async function acquireLock(
  db: Kysely<any>,
  instanceId: number,
  holder: string,
  operationId: string | null,
): Promise<void> {
  const res = await db
    .insertInto("locks")
    .values({ instance_id: instanceId, holder, operation_id: operationId, since: new Date().toISOString() })
    .onConflict((oc) => oc.column("instance_id").doNothing())
    .executeTakeFirst();
  if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) {
    const cur = await db
      .selectFrom("locks")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .executeTakeFirst();
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

export async function releaseLock(
  db: Kysely<any>,
  instanceId: number,
  operationId: string | null,
): Promise<void> {
  let q = db.deleteFrom("locks").where("instance_id", "=", instanceId);
  if (operationId) q = q.where("operation_id", "=", operationId);
  await q.execute();
}

export async function releaseStaleLocks(db: Kysely<any>): Promise<number> {
  const r = await db.deleteFrom("locks").executeTakeFirst();
  return Number(r.numDeletedRows ?? 0);
}
