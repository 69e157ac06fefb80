import type { AuditEntry } from "../sdk/types.ts";
import type { CoreDb } from "../db/schema.ts";

export interface AuditFilter {
  actor?: string;
  action?: string;
  instanceId?: number;
  result?: "ok" | "error";
  since?: string;
  limit?: number;
  beforeId?: number;
}

export async function recordAudit(
  db: CoreDb,
  who: { actor: string; actorId?: number | null; ip?: string | null },
  entry: AuditEntry,
): Promise<void> {
  await db
    .insertInto("audit_log")
    .values({
      at: new Date().toISOString(),
      actor: who.actor,
      actor_id: who.actorId ?? null,
      ip: who.ip ?? null,
      action: entry.action,
      target: entry.target ?? null,
      instance_id: entry.instanceId ?? null,
      result: entry.result ?? "ok",
      details: entry.details ? JSON.stringify(entry.details) : null,
    })
    .execute();
}

export async function queryAudit(db: CoreDb, f: AuditFilter) {
  let q = db
    .selectFrom("audit_log")
    .selectAll()
    .orderBy("id", "desc")
    .limit(Math.min(f.limit ?? 100, 1000));
  if (f.actor) q = q.where("actor", "=", f.actor);
  if (f.action) q = q.where("action", "like", `${f.action.replace(/[%_]/g, "")}%`);
  if (f.instanceId !== undefined) q = q.where("instance_id", "=", f.instanceId);
  if (f.result) q = q.where("result", "=", f.result);
  if (f.since) q = q.where("at", ">=", f.since);
  if (f.beforeId) q = q.where("id", "<", f.beforeId);
  return q.execute();
}
