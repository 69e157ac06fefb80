import type { Kysely } from "kysely";

/** Which process owns a running operation, a lock, a running job (see server/process-owner.ts). */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ["operations", "locks", "job_runs"])
    await db.schema.alterTable(table).addColumn("owner", "text").execute();
}

export async function down(): Promise<void> {
  throw new Error("the core store is never migrated down");
}
