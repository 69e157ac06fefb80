/**
 * Who sees which mailbox: a signed-in user or token sees those of the instances they may view
 * (mailboxes of no instance need the global viewer role); a Mailpit client may instead send the
 * mailbox's own SMTP credentials as Basic auth and sees that mailbox only.
 */
import { AppError, type AppContext, type PluginContext } from "../../../server/sdk/index.ts";
import type { Catcher } from "../catcher.ts";
import type { Mailbox } from "../store/mailboxes.ts";

export async function visibleMailboxes(
  ctx: PluginContext<any>,
  catcher: Catcher,
  c: AppContext,
): Promise<Mailbox[]> {
  const p = c.get("principal");
  if (!p) return [];
  const out: Mailbox[] = [];
  for (const m of catcher.mailboxes.list()) if (await ctx.auth.can(p, "viewer", m.instanceId)) out.push(m);
  return out;
}

/** The mailbox whose SMTP user/password came as `Authorization: Basic`, or null. */
export async function basicMailbox(catcher: Catcher, c: AppContext): Promise<Mailbox | null> {
  const h = c.req.header("Authorization") ?? "";
  if (!h.startsWith("Basic ")) return null;
  const plain = Buffer.from(h.slice(6), "base64").toString("utf8");
  const i = plain.indexOf(":");
  const box = catcher.mailboxes.byUser(plain.slice(0, i));
  if (box && i > 0 && (await catcher.mailboxes.checkPassword(box, plain.slice(i + 1)))) return box;
  throw new AppError("E_UNAUTHENTICATED", "Unknown mailbox or wrong password", {
    hint: "Use the mailbox's SMTP user and password (shown on its inbox page)",
  });
}

/**
 * The mailboxes a request to `/<box>/…` covers: one mailbox by id, or "all" of those visible.
 * A mailbox the caller may not see is E_NOT_FOUND, as a missing one.
 */
export async function boxesFor(
  ctx: PluginContext<any>,
  catcher: Catcher,
  c: AppContext,
  box: string,
): Promise<Mailbox[]> {
  const viaBasic = await basicMailbox(catcher, c);
  const visible = viaBasic ? [viaBasic] : await visibleMailboxes(ctx, catcher, c);
  if (!viaBasic && !c.get("principal")) throw new AppError("E_UNAUTHENTICATED");
  if (box === "all") return visible;
  const one = visible.find((m) => String(m.id) === box);
  if (!one)
    throw new AppError("E_NOT_FOUND", `No mailbox ${box}`, { hint: "See the mail catcher's mailbox list" });
  return [one];
}
