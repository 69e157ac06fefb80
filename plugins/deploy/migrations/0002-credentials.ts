import type { Kysely } from "../../../server/sdk/index.ts";

/**
 * deploy_credentials: how git fetch authenticates for one repository of an instance — an SSH
 * deploy key odoodeck generated (public half kept to show again, private half sealed) or an HTTPS
 * token (sealed). known_hosts: the git host's key as first seen, so later fetches pin it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("deploy_credentials")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("instance_id", "integer", (c) => c.notNull())
    .addColumn("repo", "text", (c) => c.notNull())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("public_key", "text")
    .addColumn("username", "text")
    .addColumn("secret_sealed", "text", (c) => c.notNull())
    .addColumn("known_hosts", "text")
    .addColumn("created_by", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addUniqueConstraint("deploy_credentials_repo", ["instance_id", "repo"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("deploy_credentials").execute();
}
