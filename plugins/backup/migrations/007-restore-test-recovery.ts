import type { Kysely } from "../../../server/sdk/index.ts";

/** A restore test's measured recovery: RTO (restore + boot until Odoo answered) and RPO, in seconds. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("backup_restore_tests").addColumn("rto_seconds", "real").execute();
  await db.schema.alterTable("backup_restore_tests").addColumn("rpo_seconds", "real").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("backup_restore_tests").dropColumn("rto_seconds").execute();
  await db.schema.alterTable("backup_restore_tests").dropColumn("rpo_seconds").execute();
}
