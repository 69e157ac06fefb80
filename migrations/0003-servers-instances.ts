import type { Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("servers")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("kind", "text", (c) => c.notNull()) // local | ssh
    .addColumn("host", "text")
    .addColumn("port", "integer")
    .addColumn("username", "text")
    .addColumn("auth", "text") // key | password
    .addColumn("secret", "text") // sealed JSON {privateKey?, passphrase?, password?}
    .addColumn("host_key", "text") // pinned SHA256 fingerprint
    .addColumn("pending_host_key", "text") // a changed key waiting for an admin
    .addColumn("jump_server_id", "integer")
    .addColumn("group_name", "text")
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("instances")
    .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("server_id", "integer", (c) => c.notNull().references("servers.id"))
    .addColumn("conf_path", "text", (c) => c.notNull())
    .addColumn("db_name", "text")
    .addColumn("service", "text")
    .addColumn("container", "text")
    .addColumn("public_url", "text")
    .addColumn("production", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("group_name", "text")
    .addColumn("tags", "text", (c) => c.notNull().defaultTo("[]"))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error("the core store is never migrated down");
}
