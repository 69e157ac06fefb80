/** The deploy history: deploy_runs rows, read and written in one place. */
import type { Kysely } from "../../../server/sdk/index.ts";
import type { Classification } from "../classify/classify.ts";

export type RunStatus = "running" | "ok" | "failed" | "rolled-back" | "interrupted";

export interface DeployRun {
  id: number;
  instanceId: number;
  repo: string;
  ref: string;
  fromCommit: string;
  fromBranch: string | null;
  toCommit: string | null;
  classification: Classification | null;
  backupId: number | null;
  backupName: string | null;
  operationId: string;
  status: RunStatus;
  error: string | null;
  rolledBack: boolean;
  rollbackOf: number | null;
  trigger: string;
  actor: string;
  startedAt: string;
  finishedAt: string | null;
}

const toRun = (r: any): DeployRun => ({
  id: r.id,
  instanceId: r.instance_id,
  repo: r.repo,
  ref: r.ref,
  fromCommit: r.from_commit,
  fromBranch: r.from_branch,
  toCommit: r.to_commit,
  classification: r.classification ? JSON.parse(r.classification) : null,
  backupId: r.backup_id,
  backupName: r.backup_name,
  operationId: r.operation_id,
  status: r.status,
  error: r.error,
  rolledBack: !!r.rolled_back,
  rollbackOf: r.rollback_of,
  trigger: r.trigger,
  actor: r.actor,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export class DeployStore {
  constructor(private readonly db: Kysely<any>) {}

  async create(
    r: Pick<
      DeployRun,
      | "instanceId"
      | "repo"
      | "ref"
      | "fromCommit"
      | "fromBranch"
      | "operationId"
      | "trigger"
      | "actor"
      | "rollbackOf"
    >,
  ): Promise<number> {
    const row = await this.db
      .insertInto("deploy_runs")
      .values({
        instance_id: r.instanceId,
        repo: r.repo,
        ref: r.ref,
        from_commit: r.fromCommit,
        from_branch: r.fromBranch,
        operation_id: r.operationId,
        status: "running",
        trigger: r.trigger,
        actor: r.actor,
        rollback_of: r.rollbackOf,
        started_at: new Date().toISOString(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async update(
    id: number,
    p: Partial<
      Pick<
        DeployRun,
        | "operationId"
        | "toCommit"
        | "classification"
        | "backupId"
        | "backupName"
        | "status"
        | "error"
        | "rolledBack"
      >
    >,
  ): Promise<void> {
    const v: Record<string, unknown> = {};
    if (p.operationId !== undefined) v.operation_id = p.operationId;
    if (p.toCommit !== undefined) v.to_commit = p.toCommit;
    if (p.classification !== undefined) v.classification = JSON.stringify(p.classification);
    if (p.backupId !== undefined) v.backup_id = p.backupId;
    if (p.backupName !== undefined) v.backup_name = p.backupName;
    if (p.error !== undefined) v.error = p.error;
    if (p.rolledBack !== undefined) v.rolled_back = p.rolledBack ? 1 : 0;
    if (p.status !== undefined) {
      v.status = p.status;
      if (p.status !== "running") v.finished_at = new Date().toISOString();
    }
    await this.db.updateTable("deploy_runs").set(v).where("id", "=", id).execute();
  }

  async get(id: number): Promise<DeployRun | null> {
    const r = await this.db.selectFrom("deploy_runs").selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toRun(r) : null;
  }

  async list(instanceId: number, limit = 50): Promise<DeployRun[]> {
    const rows = await this.db
      .selectFrom("deploy_runs")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(toRun);
  }

  /** Runs a previous odoodeck process left going cannot finish: say so. */
  async markInterrupted(): Promise<void> {
    await this.db
      .updateTable("deploy_runs")
      .set({ status: "interrupted", finished_at: new Date().toISOString() })
      .where("status", "=", "running")
      .execute();
  }
}
