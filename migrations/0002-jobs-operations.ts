import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("job_schedules")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("job", "text", (c) => c.notNull()) // "<plugin>.<name>"
    .addColumn("instance_id", "integer")
    .addColumn("cron", "text", (c) => c.notNull())
    .addColumn("timezone", "text", (c) => c.notNull().defaultTo("UTC"))
    .addColumn("params", "text", (c) => c.notNull().defaultTo("{}"))
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("last_run_at", "text")
    .execute();
  await db.schema
    .createTable("job_runs")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("schedule_id", "integer")
    .addColumn("job", "text", (c) => c.notNull())
    .addColumn("instance_id", "integer")
    .addColumn("trigger", "text", (c) => c.notNull()) // schedule | manual | catch-up
    .addColumn("status", "text", (c) => c.notNull()) // running | ok | error | skipped | interrupted
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .addColumn("summary", "text")
    .addColumn("log", "text")
    .execute();
  await db.schema.createIndex("job_runs_job").on("job_runs").columns(["job", "started_at"]).execute();
  await db.schema
    .createTable("operations")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("plugin", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("instance_id", "integer")
    .addColumn("actor", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("started_at", "text", (c) => c.notNull())
    .addColumn("finished_at", "text")
    .addColumn("snapshot", "text", (c) => c.notNull())
    .addColumn("log", "text")
    .execute();
  await db.schema
    .createTable("locks")
    .addColumn("instance_id", "integer", (c) => c.primaryKey())
    .addColumn("holder", "text", (c) => c.notNull())
    .addColumn("operation_id", "text")
    .addColumn("since", "text", (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error("the core store is never migrated down");
}
