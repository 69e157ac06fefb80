import { definePlugin, type SettingsSchema } from "odoodeck/sdk";
import { migrations } from "./migrations/index.ts";
import { Notifier } from "./notifier.ts";
import { declareNotificationOperations } from "./operations.ts";
import { notificationsPages } from "./pages.tsx";
import type { NotificationsDb } from "./tables.ts";

/**
 * Notifications: rules route events (any name, optionally one status) to channels (webhook,
 * Slack, email), with persisted deliveries and retries. Built only on the SDK: events through
 * ctx.events, its own tables, its pages at /p/notifications, the notifier started and stopped
 * with the plugin.
 */
export default definePlugin<SettingsSchema, { notifier: Notifier }, NotificationsDb>({
  id: "notifications",
  name: "Notifications",
  version: "1.0.0",
  sdk: "^2",
  description: "Webhook, Slack and email messages when events happen",
  capabilities: ["network"],
  migrations,
  nav: [{ label: "Notifications", path: "/", scope: "global", minRole: "admin", order: 90 }],
  register(ctx) {
    const notifier = new Notifier(ctx);
    ctx.pages(notificationsPages(ctx, notifier));
    declareNotificationOperations(ctx, notifier);
    return { notifier };
  },
  // Deliveries left pending by a previous run are retried from now on.
  start: (_ctx, s) => s.notifier.start(),
  stop: (_ctx, s) => s.notifier.stop(),
});
