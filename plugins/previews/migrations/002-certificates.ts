import type { Kysely } from "../../../server/sdk/index.ts";

/** Certificates from an ACME CA, one per preview host, and the ACME account keys (both sealed). */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("previews_certificates")
    .addColumn("host", "text", (c) => c.primaryKey())
    .addColumn("cert", "text")
    .addColumn("key_sealed", "text")
    .addColumn("not_after", "text")
    .addColumn("issued_at", "text")
    .addColumn("error_code", "text")
    .addColumn("error", "text")
    .addColumn("attempted_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("previews_acme_accounts")
    .addColumn("directory_url", "text", (c) => c.notNull())
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("key_sealed", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("previews_acme_accounts_pk", ["directory_url", "email"])
    .execute();
}
