import type { Kysely } from "../../../server/sdk/index.ts";

/** A state change hidden by a maintenance window, to announce when the window ends if it lasts. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("health_state")
    .addColumn("silenced", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable("health_state").addColumn("silenced_from", "text").execute();
}
