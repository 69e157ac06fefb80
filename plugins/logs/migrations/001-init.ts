import type { Kysely } from "../../../server/sdk/index.ts";

export async function up(db: Kysely<any>): Promise<void> {
  // Log files an admin allowed for an instance besides odoo.conf's logfile and its rotations.
  await db.schema
    .createTable("logs_paths")
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("path", "text", (c) => c.notNull())
    .addColumn("added_by", "text", (c) => c.notNull())
    .addColumn("added_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("logs_paths_pk", ["instance_id", "path"])
    .execute();
  // Error signatures already seen per instance: a new one is announced once (logs.new_error).
  await db.schema
    .createTable("logs_signatures")
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("signature", "text", (c) => c.notNull())
    .addColumn("level", "text", (c) => c.notNull())
    .addColumn("logger", "text", (c) => c.notNull())
    .addColumn("message", "text", (c) => c.notNull())
    .addColumn("first_seen_at", "text", (c) => c.notNull())
    .addColumn("last_seen", "text")
    .addColumn("count", "integer", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("logs_signatures_pk", ["instance_id", "signature"])
    .execute();
  // The last scan of each instance: what the overview card shows without reading the log.
  await db.schema
    .createTable("logs_scans")
    .addColumn("instance_id", "integer", (c) => c.primaryKey())
    .addColumn("scanned_at", "text", (c) => c.notNull())
    // The last scan that read the log: before the first one, signatures are learnt silently.
    .addColumn("ok_at", "text")
    .addColumn("hours", "integer", (c) => c.notNull())
    .addColumn("errors", "integer", (c) => c.notNull())
    .addColumn("kinds", "integer", (c) => c.notNull())
    .addColumn("new_kinds", "integer", (c) => c.notNull())
    .addColumn("error", "text")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("logs_scans").execute();
  await db.schema.dropTable("logs_signatures").execute();
  await db.schema.dropTable("logs_paths").execute();
}
