import type { Kysely } from "../../../server/sdk/index.ts";

/** One row per backup attempt; `destinations` holds each destination's own status (JSON). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("backup_backups")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("scope", "text", (c) => c.notNull())
    .addColumn("format", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .addColumn("bytes", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("error", "text")
    .addColumn("operation_id", "text")
    .addColumn("manifest", "text")
    .addColumn("destinations", "text", (c) => c.notNull().defaultTo("[]"))
    .execute();
  await db.schema
    .createIndex("backup_backups_instance")
    .on("backup_backups")
    .columns(["instance_id", "created_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("backup_backups").execute();
}
