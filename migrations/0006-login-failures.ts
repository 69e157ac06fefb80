import type { Kysely } from "kysely";

/**
 * Failed sign-ins per (username, client address). In the store rather than in memory so that
 * `odoodeck user unlock` (another process) can clear them, and a restart does not reset them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("login_failures")
    .addColumn("username", "text", (c) => c.notNull())
    .addColumn("ip", "text", (c) => c.notNull())
    .addColumn("failures", "integer", (c) => c.notNull())
    .addColumn("last_at", "integer", (c) => c.notNull())
    .addColumn("locked_until", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("login_failures_pk", ["username", "ip"])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error("the core store is never migrated down");
}
