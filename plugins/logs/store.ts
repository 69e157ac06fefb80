import type { Kysely } from "../../server/sdk/index.ts";
import type { ErrorGroup } from "./search/summary.ts";

export interface ExtraPath {
  path: string;
  addedBy: string;
  addedAt: string;
}

export interface ScanRow {
  instanceId: number;
  scannedAt: string;
  okAt: string | null;
  hours: number;
  errors: number;
  kinds: number;
  newKinds: number;
  error: string | null;
}

/** The plugin's persistence: its logs_* tables only. */
export class LogsStore {
  constructor(readonly db: Kysely<any>) {}

  async extraPaths(instanceId: number): Promise<ExtraPath[]> {
    const rows = await this.db
      .selectFrom("logs_paths")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("path")
      .execute();
    return rows.map((r) => ({ path: r.path, addedBy: r.added_by, addedAt: r.added_at }));
  }

  async addPath(instanceId: number, path: string, by: string): Promise<boolean> {
    const r = await this.db
      .insertInto("logs_paths")
      .values({ instance_id: instanceId, path, added_by: by, added_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(["instance_id", "path"]).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async removePath(instanceId: number, path: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom("logs_paths")
      .where("instance_id", "=", instanceId)
      .where("path", "=", path)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async lastScan(instanceId: number): Promise<ScanRow | null> {
    const r = await this.db
      .selectFrom("logs_scans")
      .selectAll()
      .where("instance_id", "=", instanceId)
      .executeTakeFirst();
    if (!r) return null;
    return {
      instanceId: r.instance_id,
      scannedAt: r.scanned_at,
      okAt: r.ok_at,
      hours: r.hours,
      errors: r.errors,
      kinds: r.kinds,
      newKinds: r.new_kinds,
      error: r.error,
    };
  }

  async saveScan(s: ScanRow): Promise<void> {
    const values = {
      scanned_at: s.scannedAt,
      ok_at: s.okAt,
      hours: s.hours,
      errors: s.errors,
      kinds: s.kinds,
      new_kinds: s.newKinds,
      error: s.error,
    };
    await this.db
      .insertInto("logs_scans")
      .values({ instance_id: s.instanceId, ...values })
      .onConflict((oc) => oc.column("instance_id").doUpdateSet(values))
      .execute();
  }

  /**
   * Records the groups; returns those whose signature was not known before. The insert decides,
   * so two processes scanning at once (server and CLI) announce a signature only once.
   */
  async recordSignatures(instanceId: number, groups: ErrorGroup[]): Promise<ErrorGroup[]> {
    const fresh: ErrorGroup[] = [];
    const now = new Date().toISOString();
    for (const g of groups) {
      const r = await this.db
        .insertInto("logs_signatures")
        .values({
          instance_id: instanceId,
          signature: g.signature,
          level: g.level,
          logger: g.logger,
          message: g.message.slice(0, 1000),
          first_seen_at: now,
          last_seen: g.lastSeen,
          count: g.count,
        })
        .onConflict((oc) => oc.columns(["instance_id", "signature"]).doNothing())
        .executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0) > 0) fresh.push(g);
      else
        await this.db
          .updateTable("logs_signatures")
          .set({ last_seen: g.lastSeen, count: g.count })
          .where("instance_id", "=", instanceId)
          .where("signature", "=", g.signature)
          .execute();
    }
    return fresh;
  }

  async forgetInstance(instanceId: number): Promise<void> {
    for (const table of ["logs_paths", "logs_signatures", "logs_scans"])
      await this.db.deleteFrom(table).where("instance_id", "=", instanceId).execute();
  }
}
