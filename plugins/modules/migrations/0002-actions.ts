import type { Kysely } from "../../../server/sdk/index.ts";

/**
 * One row per install/upgrade/uninstall: the backup taken first (if any) and the rollback to it,
 * so a failed upgrade still offers "Roll back to <backup>" after its operation left memory.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("modules_actions")
    .addColumn("operation_id", "text", (c) => c.primaryKey())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("modules", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("error", "text")
    .addColumn("backup_skipped", "text")
    .addColumn("backup_id", "integer")
    .addColumn("backup_name", "text")
    .addColumn("backup_operation_id", "text")
    .addColumn("backup_status", "text")
    .addColumn("rollback_operation_id", "text")
    .addColumn("rollback_status", "text")
    .addColumn("rollback_by", "text")
    .addColumn("rollback_db", "text")
    .execute();
  await db.schema
    .createIndex("modules_actions_instance")
    .on("modules_actions")
    .columns(["instance_id", "started_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("modules_actions").execute();
}
