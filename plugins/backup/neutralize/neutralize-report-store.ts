/**
 * Neutralization reports kept per database (`backup_neutralize_reports`), so the restored
 * instance or new database shows what was neutralized after the operation's log is gone.
 */
import type { Kysely } from "../../../server/sdk/index.ts";
import type { NeutralizeLine } from "./neutralize-report.ts";
import type { RestoreResult } from "../restore/restore-finish.ts";

export interface NeutralizeRecord {
  instanceId: number;
  dbName: string;
  /** "instance": the restore replaced the instance's own database; "new": it made this one. */
  target: "instance" | "new";
  operationId: string;
  neutralizedAt: string;
  lines: NeutralizeLine[];
}

const TABLE = "backup_neutralize_reports";

const fromRow = (r: any): NeutralizeRecord => ({
  instanceId: Number(r.instance_id),
  dbName: r.db_name,
  target: r.target,
  operationId: r.operation_id,
  neutralizedAt: r.neutralized_at,
  lines: JSON.parse(r.lines),
});

/** "N as Odoo, M stricter, K warnings" counts of a report. */
export function countLines(lines: NeutralizeLine[]) {
  const n = (kind: NeutralizeLine["kind"]) => lines.filter((l) => l.kind === kind).length;
  return { asOdoo: n("as Odoo"), stricter: n("stricter than Odoo"), warnings: n("warning") };
}

export class NeutralizeReportStore {
  constructor(private db: Kysely<any>) {}

  /**
   * After a restore or copy published `res.dbName`: keep its report, or forget the previous one
   * when this copy was not neutralized (the database it described is gone).
   */
  async record(instanceId: number, operationId: string, res: RestoreResult): Promise<void> {
    await this.db
      .deleteFrom(TABLE)
      .where("instance_id", "=", instanceId)
      .where("db_name", "=", res.dbName)
      .execute();
    if (!res.neutralized) return;
    await this.db
      .insertInto(TABLE)
      .values({
        instance_id: instanceId,
        db_name: res.dbName,
        target: res.swap ? "instance" : "new",
        operation_id: operationId,
        neutralized_at: new Date().toISOString(),
        lines: JSON.stringify(res.neutralizeReport),
      })
      .execute();
  }

  async get(instanceId: number, dbName: string): Promise<NeutralizeRecord | null> {
    const r = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("instance_id", "=", instanceId)
      .where("db_name", "=", dbName)
      .executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  /** The instance's reports, newest first. */
  async list(instanceId: number): Promise<NeutralizeRecord[]> {
    const rows = await this.db
      .selectFrom(TABLE)
      .selectAll()
      .where("instance_id", "=", instanceId)
      .orderBy("neutralized_at", "desc")
      .orderBy("id", "desc")
      .execute();
    return rows.map(fromRow);
  }
}
