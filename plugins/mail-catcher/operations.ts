/** Operations: one declaration each, served on REST, CLI and MCP with the core's audit. */
import { defineOperation, type PluginContext, z } from "../../server/sdk/index.ts";
import type { Catcher } from "./catcher.ts";
import { editableMailbox } from "./mailbox-access.ts";
import { releaseMessage } from "./release.ts";
import type { MailSettings } from "./settings.ts";

export function declareOperations(ctx: PluginContext<MailSettings>, catcher: Catcher): void {
  ctx.operations.declare(
    defineOperation({
      id: "mail-catcher.wait-for",
      title: "Wait for a mail",
      description:
        "Waits until a mail to the address is caught (or was, within `since` ms before the call); for smoke gates and restore tests.",
      input: z.object({
        to: z.string().min(3).max(320).describe("Recipient address"),
        within: z.number().int().min(0).max(600).default(30).describe("Seconds to wait"),
        since: z
          .number()
          .int()
          .min(0)
          .max(86_400_000)
          .default(0)
          .describe("Also accept mail caught this many ms before the call"),
      }),
      role: "viewer",
      scope: "global",
      danger: "safe",
      tags: ["mail"],
      async run(op, input) {
        const visible: number[] = [];
        for (const m of catcher.mailboxes.list())
          if (await op.can("viewer", m.instanceId)) visible.push(m.id);
        const started = Date.now();
        const found = await catcher.waitFor({
          to: input.to,
          within: input.within * 1000,
          since: started - input.since,
          mailboxes: visible,
        });
        return { found: !!found, waitedMs: Date.now() - started, message: found };
      },
    }),
  );

  ctx.operations.declare(
    defineOperation({
      id: "mail-catcher.chaos",
      title: "Set a mailbox's chaos",
      description:
        "Refuse a share of the mailbox's incoming messages with a 4xx or 5xx, to test Odoo's retries. An operator of the mailbox's instance may (an admin for a mailbox of no instance).",
      input: z.object({
        mailbox: z.number().int().describe("Mailbox id"),
        rate: z.number().min(0).max(1).describe("Share refused, 0 to 1"),
        code: z.number().int().min(400).max(599).default(451).describe("SMTP reply code"),
      }),
      // an operator of the mailbox's instance, checked per mailbox (mailbox-access.ts)
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["mail"],
      async run(op, input) {
        const box = await editableMailbox(catcher, input.mailbox, op.can);
        const m = await catcher.mailboxes.update(box.id, {
          chaosRate: input.rate,
          chaosCode: input.code,
        });
        op.audit({ target: m.smtpUser, instanceId: m.instanceId, rate: input.rate, code: input.code });
        return { mailbox: m.id, rate: m.chaosRate, code: m.chaosCode };
      },
    }),
  );

  ctx.operations.declare(
    defineOperation({
      id: "mail-catcher.retention",
      title: "Set a mailbox's retention",
      description:
        "Messages, MB and days one mailbox keeps (null: the plugin's defaults). An operator of the mailbox's instance may (an admin for a mailbox of no instance).",
      input: z.object({
        mailbox: z.number().int(),
        count: z.number().int().min(1).nullable().default(null),
        mb: z.number().int().min(1).nullable().default(null),
        days: z.number().int().min(1).nullable().default(null),
      }),
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["mail"],
      async run(op, input) {
        const box = await editableMailbox(catcher, input.mailbox, op.can);
        const m = await catcher.mailboxes.update(box.id, {
          retainCount: input.count,
          retainMb: input.mb,
          retainDays: input.days,
        });
        op.audit({ target: m.smtpUser, instanceId: m.instanceId });
        return { mailbox: m.id, removed: await catcher.applyRetention(m.id) };
      },
    }),
  );

  ctx.operations.declare(
    defineOperation({
      id: "mail-catcher.release",
      title: "Release a caught mail",
      description:
        "Sends one caught message through the configured real SMTP server, to allow-listed recipients only.",
      input: z.object({
        id: z.string().min(1).max(64),
        to: z.array(z.string().min(3).max(320)).min(1).max(20),
      }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["mail"],
      async run(op, input) {
        op.audit({ target: input.id, to: input.to });
        return releaseMessage(catcher, await ctx.settings(), input.id, input.to);
      },
    }),
  );
}
