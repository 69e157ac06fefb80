import type { Kysely } from "../../../server/sdk/index.ts";

/** The checksum of each module's files as last deployed (installed, upgraded or recorded by hand). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("modules_checksums")
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("module", "text", (c) => c.notNull())
    .addColumn("checksum", "text", (c) => c.notNull())
    .addColumn("version", "text")
    .addColumn("recorded_at", "text", (c) => c.notNull())
    .addColumn("recorded_by", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("modules_checksums_pk", ["instance_id", "module"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("modules_checksums").execute();
}
