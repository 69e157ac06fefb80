import type { Kysely } from "../../../server/sdk/index.ts";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("health_results")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("check", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("value", "real")
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("timed_out", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("data", "text")
    .addColumn("duration_ms", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("health_results_by_check")
    .on("health_results")
    .columns(["instance_id", "check", "at"])
    .execute();
  await db.schema.createIndex("health_results_by_at").on("health_results").column("at").execute();
  await db.schema
    .createTable("health_state")
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("check", "text", (c) => c.notNull())
    .addColumn("state", "text")
    .addColumn("since", "text")
    .addColumn("candidate", "text")
    .addColumn("streak", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("health_state_pk", ["instance_id", "check"])
    .execute();
  await db.schema
    .createTable("health_overrides")
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("check", "text", (c) => c.notNull())
    .addColumn("warning", "real")
    .addColumn("critical", "real")
    .addColumn("disabled", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("health_overrides_pk", ["instance_id", "check"])
    .execute();
  await db.schema
    .createTable("health_maintenance")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("starts_at", "text", (c) => c.notNull())
    .addColumn("ends_at", "text", (c) => c.notNull())
    .addColumn("reason", "text", (c) => c.notNull())
    .addColumn("created_by", "text", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["health_maintenance", "health_overrides", "health_state", "health_results"])
    await db.schema.dropTable(t).ifExists().execute();
}
