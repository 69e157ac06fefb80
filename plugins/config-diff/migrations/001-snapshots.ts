import type { Kysely } from "../../../server/sdk/index.ts";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("config_diff_meta")
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("value", "text", (c) => c.notNull())
    .execute();
  // One row per distinct state of an instance's configuration; secrets are stored as salted digests.
  await db.schema
    .createTable("config_diff_snapshots")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("taken_at", "text", (c) => c.notNull())
    .addColumn("last_seen_at", "text", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull())
    .addColumn("digest", "text", (c) => c.notNull())
    .addColumn("data", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("config_diff_snapshots_instance")
    .on("config_diff_snapshots")
    .columns(["instance_id", "id"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("config_diff_snapshots").execute();
  await db.schema.dropTable("config_diff_meta").execute();
}
