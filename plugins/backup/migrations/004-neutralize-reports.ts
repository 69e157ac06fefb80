import type { Kysely } from "../../../server/sdk/index.ts";

/**
 * The neutralization report of each database a restore or copy neutralized, one row per instance
 * and database name (a later restore into the same name replaces it): when, by which operation,
 * whether it replaced the instance's own database or made a new one, and the report lines (JSON
 * list of { kind, text }).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("backup_neutralize_reports")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("db_name", "text", (c) => c.notNull())
    .addColumn("target", "text", (c) => c.notNull())
    .addColumn("operation_id", "text", (c) => c.notNull())
    .addColumn("neutralized_at", "text", (c) => c.notNull())
    .addColumn("lines", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("backup_neutralize_reports_db")
    .on("backup_neutralize_reports")
    .columns(["instance_id", "db_name"])
    .unique()
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("backup_neutralize_reports").execute();
}
