import type { Generated, Kysely, PluginContext, SettingsSchema } from "odoodeck/sdk";

/** The plugin's tables (migrations/0001-tables.ts), so every query on them is type-checked. */
export interface NotificationsDb {
  notifications_channels: {
    id: Generated<number>;
    name: string;
    kind: "email" | "webhook" | "slack";
    /** Sealed JSON (ctx.secrets): URLs, SMTP credentials, HMAC secret. */
    config: string;
    enabled: number;
    created_at: string;
  };
  notifications_rules: {
    id: Generated<number>;
    event: string;
    status: string | null;
    channel_id: number;
    created_at: string;
  };
  notifications_deliveries: {
    id: Generated<number>;
    channel_id: number;
    event: string;
    payload: string;
    status: "pending" | "sent" | "failed";
    attempts: number;
    last_error: string | null;
    next_attempt_at: string;
    created_at: string;
    sent_at: string | null;
  };
}

export type NotificationsStore = Kysely<NotificationsDb>;
export type NotificationsCtx = PluginContext<SettingsSchema, NotificationsDb>;
