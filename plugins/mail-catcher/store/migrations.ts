import type { Migration } from "../../../server/sdk/index.ts";

/** Mailboxes (one per neutralized database) and the metadata of their messages; raw mail is on disk. */
export const migrations: Record<string, Migration> = {
  "0001-mailboxes-messages": {
    async up(db) {
      await db.schema
        .createTable("mail_catcher_mailboxes")
        .addColumn("id", "integer", (c) => c.primaryKey().autoIncrement())
        .addColumn("label", "text", (c) => c.notNull())
        .addColumn("instance_id", "integer")
        .addColumn("db_name", "text")
        .addColumn("smtp_user", "text", (c) => c.notNull().unique())
        .addColumn("password_enc", "text", (c) => c.notNull())
        .addColumn("retain_count", "integer")
        .addColumn("retain_mb", "integer")
        .addColumn("retain_days", "integer")
        .addColumn("chaos_rate", "real", (c) => c.notNull().defaultTo(0))
        .addColumn("chaos_code", "integer", (c) => c.notNull().defaultTo(451))
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("mail_catcher_mailboxes_db")
        .on("mail_catcher_mailboxes")
        .columns(["instance_id", "db_name"])
        .unique()
        .execute();
      await db.schema
        .createTable("mail_catcher_messages")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("mailbox_id", "integer", (c) => c.notNull())
        .addColumn("received_at", "integer", (c) => c.notNull())
        .addColumn("sender", "text", (c) => c.notNull())
        .addColumn("recipients", "text", (c) => c.notNull())
        .addColumn("subject", "text", (c) => c.notNull())
        .addColumn("snippet", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("size", "integer", (c) => c.notNull())
        .addColumn("attachments", "integer", (c) => c.notNull())
        .addColumn("message_id", "text")
        .addColumn("odoo_model", "text")
        .addColumn("odoo_res_id", "integer")
        .addColumn("read", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex("mail_catcher_messages_box")
        .on("mail_catcher_messages")
        .columns(["mailbox_id", "received_at"])
        .execute();
      await db.schema
        .createIndex("mail_catcher_messages_at")
        .on("mail_catcher_messages")
        .column("received_at")
        .execute();
    },
  },
};
