/**
 * notifications.channels.add / remove / test and notifications.rules.set: the page's forms as
 * operations, so REST, the CLI and MCP manage channels with the same admin rule and audit. A
 * channel's URL carries its token (Slack, most webhooks): `writeOnly`, so the audit masks it like
 * the signing secret and the SMTP password.
 */
import { AppError, defineOperation, z } from "odoodeck/sdk";
import { CHANNEL_KINDS, type ChannelKind, createChannel, createRule, deleteChannel } from "./channels.ts";
import type { Notifier } from "./notifier.ts";
import type { NotificationsCtx } from "./tables.ts";

const text = (max: number) => z.string().max(max).optional();
const secret = (max: number) => text(max).meta({ writeOnly: true });

async function channelName(ctx: NotificationsCtx, id: number): Promise<string> {
  const row = await ctx.db
    .selectFrom("notifications_channels")
    .select("name")
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw new AppError("E_NOT_FOUND", `No notification channel ${id}`);
  return row.name;
}

export function declareNotificationOperations(ctx: NotificationsCtx, notifier: Notifier): void {
  ctx.operations.declare(
    defineOperation({
      id: "notifications.channels.add",
      title: "Add a notification channel",
      description:
        "A webhook (optionally signed with HMAC-SHA256), a Slack incoming webhook or an email address (SMTP) that rules send events to. Its URL and credentials are stored encrypted and never shown back.",
      input: z.object({
        name: z.string().min(1).max(80).describe("A name for the channel"),
        kind: z.enum(CHANNEL_KINDS as [ChannelKind, ...ChannelKind[]]),
        url: secret(2000).describe("Webhook or Slack URL (http:// or https://)"),
        secret: secret(500).describe("Webhook signing secret"),
        smtpHost: text(255),
        smtpPort: z.number().int().min(1).max(65535).optional(),
        smtpSecure: z.boolean().optional().describe("TLS from the start (default: port 465)"),
        smtpUser: text(255),
        smtpPassword: secret(500),
        from: text(320).describe("Sender address (email)"),
        to: text(320).describe("Recipient address (email)"),
      }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["notifications"],
      async run(op, input) {
        const id = await createChannel(ctx.db, ctx.secrets, input);
        op.audit({ target: `channel:${input.name}`, kind: input.kind });
        return { id, name: input.name, kind: input.kind };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "notifications.channels.remove",
      title: "Remove a notification channel",
      description: "The channel and the rules that send to it.",
      input: z.object({ id: z.number().int().positive().describe("The channel's id") }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["notifications"],
      async run(op, input) {
        const name = await channelName(ctx, input.id);
        await deleteChannel(ctx.db, input.id);
        op.audit({ target: `channel:${input.id}`, name });
        return { removed: input.id };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "notifications.channels.test",
      title: "Send a test notification",
      description: "Queues a test message to the channel; its delivery shows in the deliveries log.",
      input: z.object({ id: z.number().int().positive().describe("The channel's id") }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["notifications"],
      async run(op, input) {
        await channelName(ctx, input.id);
        await notifier.test(input.id);
        op.audit({ target: `channel:${input.id}` });
        return { queued: input.id };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "notifications.rules.set",
      title: "Add a notification rule",
      description:
        "Events of this name (optionally only with this status, e.g. error) are sent to the channel.",
      input: z.object({
        event: z.string().min(3).max(200).describe("Event name, e.g. operation.finished"),
        status: text(40).describe("Only this status (empty: any)"),
        channel: z.number().int().positive().describe("The channel's id"),
      }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["notifications"],
      async run(op, input) {
        await createRule(ctx.db, { event: input.event, status: input.status, channelId: input.channel });
        op.audit({ target: `event:${input.event}`, status: input.status ?? null });
        return { event: input.event, status: input.status || null, channel: input.channel };
      },
    }),
  );
}
