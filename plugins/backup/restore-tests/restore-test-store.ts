/** Restore test records (`backup_restore_tests`): one row per run, with every check's outcome. */
import type { Kysely } from "../../../server/sdk/index.ts";

export type RestoreTestStatus = "running" | "ok" | "failed" | "cancelled" | "interrupted";
export type CheckStatus = "ok" | "failed" | "skipped";

/** One line of a restore test's report. */
export interface CheckOutcome {
  /** Stable id: restore, neutralize, counts, attachments, modules, odoo, cleanup. */
  name: string;
  status: CheckStatus;
  /** One human line: what was compared and what came out. */
  message: string;
  seconds?: number;
  /** Machine-readable specifics (e.g. missing store_fnames), kept short. */
  details?: Record<string, unknown>;
}

export interface RestoreTestRecord {
  id: number;
  instanceId: number;
  targetInstanceId: number;
  backupId: number | null;
  backupName: string | null;
  status: RestoreTestStatus;
  errorCode: string | null;
  error: string | null;
  checks: CheckOutcome[];
  scratchDb: string | null;
  restoreSeconds: number | null;
  totalSeconds: number | null;
  /** Measured recovery time: restore + boot until Odoo answered (null: Odoo was not booted). */
  rtoSeconds: number | null;
  /** Data window: the test's time − the backup's time. */
  rpoSeconds: number | null;
  startedAt: string;
  finishedAt: string | null;
  operationId: string | null;
  actor: string;
  trigger: "manual" | "schedule" | "cli";
}

const TABLE = "backup_restore_tests";

function fromRow(r: any): RestoreTestRecord {
  return {
    id: Number(r.id),
    instanceId: Number(r.instance_id),
    targetInstanceId: Number(r.target_instance_id),
    backupId: r.backup_id == null ? null : Number(r.backup_id),
    backupName: r.backup_name ?? null,
    status: r.status,
    errorCode: r.error_code ?? null,
    error: r.error ?? null,
    checks: JSON.parse(r.checks || "[]"),
    scratchDb: r.scratch_db ?? null,
    restoreSeconds: r.restore_seconds == null ? null : Number(r.restore_seconds),
    totalSeconds: r.total_seconds == null ? null : Number(r.total_seconds),
    rtoSeconds: r.rto_seconds == null ? null : Number(r.rto_seconds),
    rpoSeconds: r.rpo_seconds == null ? null : Number(r.rpo_seconds),
    startedAt: r.started_at,
    finishedAt: r.finished_at ?? null,
    operationId: r.operation_id ?? null,
    actor: r.actor,
    trigger: r.trigger,
  };
}

export class RestoreTestStore {
  constructor(readonly db: Kysely<any>) {}

  async insert(r: {
    instanceId: number;
    targetInstanceId: number;
    actor: string;
    trigger: RestoreTestRecord["trigger"];
  }): Promise<number> {
    const row = await this.db
      .insertInto(TABLE)
      .values({
        instance_id: r.instanceId,
        target_instance_id: r.targetInstanceId,
        status: "running",
        started_at: new Date().toISOString(),
        actor: r.actor,
        trigger: r.trigger,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async update(
    id: number,
    p: Partial<
      Pick<
        RestoreTestRecord,
        | "backupId"
        | "backupName"
        | "status"
        | "errorCode"
        | "error"
        | "checks"
        | "scratchDb"
        | "restoreSeconds"
        | "totalSeconds"
        | "rtoSeconds"
        | "rpoSeconds"
        | "finishedAt"
        | "operationId"
      >
    >,
  ): Promise<void> {
    const map: Record<string, unknown> = {
      backup_id: p.backupId,
      backup_name: p.backupName,
      status: p.status,
      error_code: p.errorCode,
      error: p.error,
      checks: p.checks ? JSON.stringify(p.checks) : undefined,
      scratch_db: p.scratchDb,
      restore_seconds: p.restoreSeconds,
      total_seconds: p.totalSeconds,
      rto_seconds: p.rtoSeconds,
      rpo_seconds: p.rpoSeconds,
      finished_at: p.finishedAt,
      operation_id: p.operationId,
    };
    const set = Object.fromEntries(Object.entries(map).filter(([, v]) => v !== undefined));
    if (Object.keys(set).length) await this.db.updateTable(TABLE).set(set).where("id", "=", id).execute();
  }

  async get(id: number): Promise<RestoreTestRecord | null> {
    const r = await this.db.selectFrom(TABLE).selectAll().where("id", "=", id).executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  async list(instanceId: number, limit = 50): Promise<RestoreTestRecord[]> {
    const rows = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("started_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** The newest finished test (any outcome), for "FAILED: why" on the card. */
  async lastFinished(instanceId: number): Promise<RestoreTestRecord | null> {
    const r = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("instance_id", "=", instanceId)
      .where("status", "in", ["ok", "failed"])
      .orderBy("started_at", "desc")
      .orderBy("id", "desc")
      .executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  async lastOk(instanceId: number): Promise<RestoreTestRecord | null> {
    const r = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("instance_id", "=", instanceId)
      .where("status", "=", "ok")
      .orderBy("started_at", "desc")
      .orderBy("id", "desc")
      .executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  /** A test of this instance that is still going (in this or another odoodeck process). */
  async running(instanceId: number): Promise<RestoreTestRecord | null> {
    const r = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("instance_id", "=", instanceId)
      .where("status", "=", "running")
      .executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  /** At start: runs left `running` by a process that died are marked interrupted (as operations are). */
  async markInterrupted(): Promise<number> {
    const r = await this.db
      .updateTable(TABLE)
      .set({ status: "interrupted", finished_at: new Date().toISOString() })
      .where("status", "=", "running")
      .executeTakeFirst();
    return Number(r.numUpdatedRows ?? 0);
  }
}
