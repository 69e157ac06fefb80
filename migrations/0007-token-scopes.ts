import type { Kysely } from "kysely";

/**
 * API tokens limited to some instances (JSON array of ids, null = all), to MCP tool presets (JSON
 * array of tags, null = all) and allowed or not to run destructive operations.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("api_tokens").addColumn("instances", "text").execute();
  await db.schema.alterTable("api_tokens").addColumn("tools", "text").execute();
  await db.schema
    .alterTable("api_tokens")
    .addColumn("allow_destructive", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error("the core store is never migrated down");
}
