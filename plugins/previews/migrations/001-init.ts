import type { Kysely } from "../../../server/sdk/index.ts";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("previews_templates")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("db_name", "text", (c) => c.notNull())
    .addColumn("filestore", "text", (c) => c.notNull())
    .addColumn("repo", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("report", "text")
    .addColumn("error", "text")
    .addColumn("seconds", "real")
    .addColumn("refreshed_at", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("previews_previews")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("template_id", "integer", (c) => c.notNull())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("repo", "text", (c) => c.notNull())
    .addColumn("branch", "text", (c) => c.notNull())
    .addColumn("commit_sha", "text")
    .addColumn("db_name", "text", (c) => c.notNull())
    .addColumn("work_dir", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("port", "integer")
    .addColumn("smoke", "text")
    .addColumn("modules", "text")
    .addColumn("promoted", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("failed_step", "text")
    .addColumn("error", "text")
    .addColumn("operation_id", "text")
    .addColumn("source", "text")
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("last_used_at", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
}
