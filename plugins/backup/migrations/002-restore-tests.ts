import type { Kysely } from "../../../server/sdk/index.ts";

/**
 * One row per restore test: the backup it restored, where (target instance), its status, and
 * each check's outcome (`checks`, JSON list of { name, status, message, seconds }).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("backup_restore_tests")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("target_instance_id", "integer", (c) => c.notNull())
    .addColumn("backup_id", "integer")
    .addColumn("backup_name", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("error_code", "text")
    .addColumn("error", "text")
    .addColumn("checks", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("scratch_db", "text")
    .addColumn("restore_seconds", "real")
    .addColumn("total_seconds", "real")
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .addColumn("operation_id", "text")
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("trigger", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("backup_restore_tests_instance")
    .on("backup_restore_tests")
    .columns(["instance_id", "started_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("backup_restore_tests").execute();
}
