import type { Kysely } from "../../../server/sdk/index.ts";

export interface ActionRecord {
  operationId: string;
  instanceId: number;
  action: string;
  modules: string;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
  status: "running" | "ok" | "error" | "cancelled" | "interrupted";
  error: string | null;
  /** Why no backup was taken although the default asked for one. */
  backupSkipped: string | null;
  backupId: number | null;
  backupName: string | null;
  backupOperationId: string | null;
  backupStatus: string | null;
  rollbackOperationId: string | null;
  rollbackStatus: string | null;
  rollbackBy: string | null;
  rollbackDb: string | null;
}

const TABLE = "modules_actions";
const snake = (k: string) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
const camel = (k: string) => k.replace(/_([a-z])/g, (_, m: string) => m.toUpperCase());

function fromRow(r: Record<string, unknown>): ActionRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[camel(k)] = v ?? null;
  out.instanceId = Number(out.instanceId);
  if (out.backupId != null) out.backupId = Number(out.backupId);
  return out as unknown as ActionRecord;
}

function toRow(patch: Partial<ActionRecord>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).map(([k, v]) => [snake(k), v ?? null]));
}

/** Module actions as `modules_actions` rows (the plugin's own table). */
export class ActionStore {
  constructor(private readonly db: Kysely<any>) {}

  async insert(r: Pick<ActionRecord, "operationId" | "instanceId" | "action" | "modules" | "actor">) {
    await this.db
      .insertInto(TABLE)
      .values(toRow({ ...r, startedAt: new Date().toISOString(), status: "running" }))
      .execute();
  }

  async update(operationId: string, patch: Partial<ActionRecord>) {
    await this.db.updateTable(TABLE).set(toRow(patch)).where("operation_id", "=", operationId).execute();
  }

  async get(operationId: string): Promise<ActionRecord | null> {
    const r = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("operation_id", "=", operationId)
      .executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  async recent(instanceId: number, limit = 10): Promise<ActionRecord[]> {
    const rows = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("started_at", "desc")
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }
}

/**
 * A failed (or cancelled, or interrupted) action whose backup finished can be rolled back, unless a
 * rollback ran or runs. A failed backup stopped the action before odoo ran: nothing to undo.
 */
export function canRollBack(a: ActionRecord): boolean {
  return (
    (a.status === "error" || a.status === "cancelled" || a.status === "interrupted") &&
    a.backupStatus === "ok" &&
    a.backupId != null &&
    a.rollbackStatus !== "running" &&
    a.rollbackStatus !== "ok"
  );
}
