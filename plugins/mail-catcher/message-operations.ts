/**
 * mail-catcher.share and mail-catcher.inbound: the message page's share link and the inbox's
 * "compose an inbound mail", declared once so the page, REST, the CLI and MCP share one rule.
 */
import { AppError, defineOperation, type PluginContext, z } from "../../server/sdk/index.ts";
import type { Catcher } from "./catcher.ts";
import { deliverInbound } from "./inbound/deliver.ts";
import type { MailSettings } from "./settings.ts";
import { signShare } from "./views/share-link.ts";

export const SHARE_DAYS = 7;

export function declareMessageOperations(ctx: PluginContext<MailSettings>, catcher: Catcher): void {
  ctx.operations.declare(
    defineOperation({
      id: "mail-catcher.share",
      title: "Share a caught mail",
      description: `A read-only link to one caught message that opens without sign-in for ${SHARE_DAYS} days (for a customer's acceptance test). An operator of the message's instance may (an admin for a mailbox of no instance).`,
      input: z.object({ id: z.string().min(1).max(64).describe("Message id") }),
      // checked per message: viewer to see it at all, operator of its instance to share it
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["mail"],
      async run(op, input) {
        const row = await catcher.messages.get(input.id);
        const box = row && catcher.mailboxes.get(row.mailboxId);
        if (!row || !box || !(await op.can("viewer", box.instanceId)))
          throw new AppError("E_NOT_FOUND", "No such message", {
            hint: "It may have been removed by retention",
          });
        if (!(await op.can("operator", box.instanceId)))
          throw new AppError("E_FORBIDDEN", "Sharing a mail needs the operator role on its instance", {
            hint: "An admin can grant it",
          });
        const expiresAt = Date.now() + SHARE_DAYS * 86_400_000;
        const token = signShare(ctx.secrets, row.id, expiresAt);
        op.audit({ target: row.id, instanceId: box.instanceId });
        return { id: row.id, token, path: `/pub/mail-catcher/share/${token}`, expiresAt };
      },
    }),
  );

  ctx.operations.declare(
    defineOperation({
      id: "mail-catcher.inbound",
      title: "Deliver an inbound mail to Odoo",
      description:
        "Hands a composed mail (a customer's reply, a lead to an alias) to the instance's Odoo through XML-RPC message_process, as odoo-mailgate does.",
      input: z.object({
        from: z.string().min(3).max(320).describe("Sender address"),
        to: z.string().min(3).max(320).describe("Recipient: an alias such as sales@…"),
        subject: z.string().max(998).default(""),
        text: z.string().max(1_000_000).default(""),
        inReplyTo: z.string().max(998).optional().describe("Message-Id this mail answers"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["mail"],
      async run(op, input) {
        const s = await ctx.settings();
        const r = await deliverInbound(
          op.instance!,
          { user: s.inboundUser, password: s.inboundPassword },
          { ...input, inReplyTo: input.inReplyTo || null },
        );
        op.audit({ target: input.to, answered: r.result });
        return r;
      },
    }),
  );
}
