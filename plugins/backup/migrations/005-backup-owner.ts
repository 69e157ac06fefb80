import type { Kysely } from "../../../server/sdk/index.ts";

/**
 * Which odoodeck process runs a backup ("<boot id>:<pid>:<start time>", as operations record it):
 * at start, a `running` backup whose process is gone was cut short and is marked interrupted,
 * while one a live sibling (the server beside a CLI command) is taking is left alone.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("backup_backups").addColumn("owner", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("backup_backups").dropColumn("owner").execute();
}
