import type { Kysely } from "../../../server/sdk/index.ts";

/**
 * One row per uploaded backup file: who uploaded it, from which instance (a restore from it then
 * needs operator there, or admin), its size and SHA-256, and when (swept after the TTL).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("backup_uploads")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("path", "text", (c) => c.notNull().unique())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("user_id", "integer", (c) => c.notNull())
    .addColumn("username", "text", (c) => c.notNull())
    .addColumn("bytes", "integer", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("backup_uploads").execute();
}
