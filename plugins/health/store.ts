import { type Kysely, sql } from "../../server/sdk/index.ts";
import { type CheckState, INITIAL_STATE } from "./engine/state-machine.ts";
import type { Override } from "./engine/thresholds.ts";
import type { CheckResult, Status } from "./types.ts";

export interface StoredState extends CheckState {
  instanceId: number;
  check: string;
}

export interface MaintenanceWindow {
  id: number;
  instanceId: number;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdBy: string;
}

/** All of the plugin's persistence (its own health_* tables only). */
export class HealthStore {
  constructor(readonly db: Kysely<any>) {}

  async saveResults(results: CheckResult[]): Promise<void> {
    if (!results.length) return;
    await this.db
      .insertInto("health_results")
      .values(
        results.map((r) => ({
          instance_id: r.instanceId,
          check: r.check,
          status: r.status,
          value: r.value,
          message: r.message.slice(0, 1000),
          timed_out: r.timedOut ? 1 : 0,
          data: r.data ? JSON.stringify(r.data) : null,
          duration_ms: Math.round(r.durationMs),
          at: r.at,
        })),
      )
      .execute();
  }

  /** Deletes results older than `before` (ISO); returns how many went. */
  async prune(before: string): Promise<number> {
    const r = await this.db.deleteFrom("health_results").where("at", "<", before).executeTakeFirst();
    return Number(r.numDeletedRows ?? 0);
  }

  async states(instanceId?: number): Promise<StoredState[]> {
    let q = this.db.selectFrom("health_state").selectAll();
    if (instanceId != null) q = q.where("instance_id", "=", instanceId);
    const rows = await q.execute();
    return rows.map((r) => ({
      instanceId: Number(r.instance_id),
      check: r.check,
      state: r.state as Status | null,
      since: r.since,
      candidate: r.candidate as Status | null,
      streak: Number(r.streak),
      silenced: !!r.silenced,
      silencedFrom: (r.silenced_from ?? null) as Status | null,
    }));
  }

  async state(instanceId: number, check: string): Promise<CheckState> {
    const all = await this.states(instanceId);
    return all.find((s) => s.check === check) ?? INITIAL_STATE;
  }

  async saveState(instanceId: number, check: string, s: CheckState): Promise<void> {
    const values = {
      state: s.state,
      since: s.since,
      candidate: s.candidate,
      streak: s.streak,
      silenced: s.silenced ? 1 : 0,
      silenced_from: s.silenced ? (s.silencedFrom ?? null) : null,
    };
    await this.db
      .insertInto("health_state")
      .values({ instance_id: instanceId, check, ...values })
      .onConflict((oc) => oc.columns(["instance_id", "check"]).doUpdateSet(values))
      .execute();
  }

  async overrides(instanceId: number): Promise<Map<string, Override>> {
    const rows = await this.db
      .selectFrom("health_overrides")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .execute();
    return new Map(
      rows.map((r) => [
        r.check,
        { check: r.check, warning: r.warning, critical: r.critical, disabled: !!r.disabled },
      ]),
    );
  }

  async setOverride(instanceId: number, ov: Override): Promise<void> {
    const values = { warning: ov.warning, critical: ov.critical, disabled: ov.disabled ? 1 : 0 };
    await this.db
      .insertInto("health_overrides")
      .values({ instance_id: instanceId, check: ov.check, ...values })
      .onConflict((oc) => oc.columns(["instance_id", "check"]).doUpdateSet(values))
      .execute();
  }

  async addMaintenance(w: Omit<MaintenanceWindow, "id">): Promise<number> {
    const row = await this.db
      .insertInto("health_maintenance")
      .values({
        instance_id: w.instanceId,
        starts_at: w.startsAt,
        ends_at: w.endsAt,
        reason: w.reason,
        created_by: w.createdBy,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async removeMaintenance(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom("health_maintenance").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows ?? 0) > 0;
  }

  async maintenance(instanceId: number): Promise<MaintenanceWindow[]> {
    const rows = await this.db
      .selectFrom("health_maintenance")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("starts_at", "desc")
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      instanceId: Number(r.instance_id),
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      reason: r.reason,
      createdBy: r.created_by,
    }));
  }

  async inMaintenance(instanceId: number, at: string): Promise<MaintenanceWindow | null> {
    const row = await this.db
      .selectFrom("health_maintenance")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .where("starts_at", "<=", at)
      .where("ends_at", ">", at)
      .executeTakeFirst();
    return row ? (await this.maintenance(instanceId)).find((w) => w.id === Number(row.id))! : null;
  }

  /** The newest result of each check of an instance. */
  async latest(instanceId: number): Promise<CheckResult[]> {
    const ids = await this.db
      .selectFrom("health_results")
      .select((eb: any) => eb.fn.max("id").as("id"))
      .where("instance_id", "=", instanceId)
      .groupBy("check")
      .execute();
    if (!ids.length) return [];
    const rows = await this.db
      .selectFrom("health_results")
      .selectAll()
      .where(
        "id",
        "in",
        ids.map((r: any) => Number(r.id)),
      )
      .orderBy("check")
      .execute();
    return rows.map(toResult);
  }

  /** Points of one check since `since`, oldest first. */
  async series(instanceId: number, check: string, since: string): Promise<CheckResult[]> {
    const rows = await this.db
      .selectFrom("health_results")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .where("check", "=", check)
      .where("at", ">=", since)
      .orderBy("at")
      .execute();
    return rows.map(toResult);
  }

  /** Only time and value of one check since `since`, oldest first: what charts need, cheaply. */
  async points(instanceId: number, check: string, since: string): Promise<Array<{ t: number; v: number }>> {
    const rows = await this.db
      .selectFrom("health_results")
      .select(["at", "value"])
      .where("instance_id", "=", instanceId)
      .where("check", "=", check)
      .where("at", ">=", since)
      .where("value", "is not", null)
      .orderBy("at")
      .execute();
    return rows.map((r: any) => ({ t: Date.parse(r.at), v: Number(r.value) }));
  }

  /**
   * Count of HTTP results and of "up" ones since `since`: answered (ok or warning) while the
   * same run found Odoo processes. An answer with "no Odoo process found" beside it came from
   * something else on that port, so it counts as down.
   */
  async upCounts(instanceId: number, since: string): Promise<{ total: number; up: number }> {
    const row = await sql<{ total: number; up: number | null }>`
      SELECT count(*) AS total,
             sum(CASE WHEN h.status IN ('ok', 'warning') AND NOT EXISTS (
                   SELECT 1 FROM health_results p
                    WHERE p.instance_id = h.instance_id AND p."check" = 'odoo_processes'
                      AND p.at = h.at AND p.value = 0)
                 THEN 1 ELSE 0 END) AS up
        FROM health_results h
       WHERE h.instance_id = ${instanceId} AND h."check" = 'http' AND h.at >= ${since}`.execute(this.db);
    const r = row.rows[0];
    return { total: Number(r?.total ?? 0), up: Number(r?.up ?? 0) };
  }
}

function toResult(r: any): CheckResult {
  return {
    instanceId: Number(r.instance_id),
    check: r.check,
    status: r.status,
    value: r.value == null ? null : Number(r.value),
    message: r.message,
    timedOut: !!r.timed_out,
    data: r.data ? JSON.parse(r.data) : undefined,
    at: r.at,
    durationMs: Number(r.duration_ms),
  };
}
