import type { Kysely } from "../../../server/sdk/index.ts";

/**
 * deploy_runs: one row per deploy (and per rollback of one), with its classification and the
 * backup taken first, so the history outlives the operation's memory.
 * deploy_hooks: one webhook per instance repository; the HMAC secret sealed by ctx.secrets, the
 * URL token stored only as a keyed hash.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("deploy_runs")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("repo", "text", (c) => c.notNull())
    .addColumn("ref", "text", (c) => c.notNull())
    .addColumn("from_commit", "text", (c) => c.notNull())
    .addColumn("from_branch", "text")
    .addColumn("to_commit", "text")
    .addColumn("classification", "text")
    .addColumn("backup_id", "integer")
    .addColumn("backup_name", "text")
    .addColumn("operation_id", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("error", "text")
    .addColumn("rolled_back", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("rollback_of", "integer")
    .addColumn("trigger", "text", (c) => c.notNull())
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .execute();
  await db.schema
    .createIndex("deploy_runs_instance")
    .on("deploy_runs")
    .columns(["instance_id", "id"])
    .execute();
  await db.schema
    .createTable("deploy_hooks")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("repo", "text", (c) => c.notNull())
    .addColumn("branch", "text", (c) => c.notNull())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("deploy_hooks").execute();
  await db.schema.dropTable("deploy_runs").execute();
}
