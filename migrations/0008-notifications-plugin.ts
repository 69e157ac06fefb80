import type { Kysely } from "kysely";

/**
 * Notifications became a plugin (plugins/notifications); a plugin's tables carry its id as
 * prefix. The rows stay: only the names change (SQLite rewrites the rules' reference too).
 */
export async function up(db: Kysely<any>): Promise<void> {
  // An index cannot be renamed: the plugin's migration creates it under its new name.
  await db.schema.dropIndex("notification_deliveries_due").ifExists().execute();
  for (const t of ["channels", "rules", "deliveries"])
    await db.schema.alterTable(`notification_${t}`).renameTo(`notifications_${t}`).execute();
}

export async function down(): Promise<void> {
  throw new Error("the core store is never migrated down");
}
