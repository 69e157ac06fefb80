import type { Kysely } from "odoodeck/sdk";

/**
 * The plugin's tables. A store from before the plugin already has them (the core's migration
 * 0008 renamed its notification_* tables), so each is created only when missing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("notifications_channels")
    .ifNotExists()
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("kind", "text", (c) => c.notNull()) // email | webhook | slack
    .addColumn("config", "text", (c) => c.notNull()) // sealed JSON: URLs, SMTP credentials, HMAC secret
    .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("notifications_rules")
    .ifNotExists()
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("event", "text", (c) => c.notNull()) // e.g. operation.finished
    .addColumn("status", "text") // only payloads with this status (e.g. error); null: all
    .addColumn("channel_id", "integer", (c) =>
      c.notNull().references("notifications_channels.id").onDelete("cascade"),
    )
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("notifications_deliveries")
    .ifNotExists()
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("channel_id", "integer", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("payload", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull()) // pending | sent | failed
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("next_attempt_at", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addColumn("sent_at", "text")
    .execute();
  await db.schema
    .createIndex("notifications_deliveries_due")
    .ifNotExists()
    .on("notifications_deliveries")
    .columns(["status", "next_attempt_at"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["deliveries", "rules", "channels"])
    await db.schema.dropTable(`notifications_${t}`).execute();
}
