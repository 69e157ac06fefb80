import type { Kysely } from "../../../server/sdk/index.ts";

/**
 * One row per restore, copy or restore test that is about to make temporary copies named
 * `<prefix><stamp>`: who made them (process id, boot id, a per-process token) and when it ended.
 * The leftover sweep removes only names a row covers whose process is gone (see scratch-claims.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("backup_scratch_claims")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("prefix", "text", (c) => c.notNull())
    .addColumn("swap_db", "text")
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("pid", "integer", (c) => c.notNull())
    .addColumn("boot_id", "text", (c) => c.notNull())
    .addColumn("token", "text", (c) => c.notNull())
    .addColumn("claimed_at", "text", (c) => c.notNull())
    .addColumn("ended_at", "text")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("backup_scratch_claims").execute();
}
