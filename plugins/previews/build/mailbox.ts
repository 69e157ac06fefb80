/**
 * Every preview its own mailbox in the mail catcher (issue 21). A preview's database is a
 * `CREATE DATABASE … TEMPLATE` clone, so its mail server still carries the template's catcher
 * login: every preview of one template would send into the template's mailbox. After each clone
 * the preview's database gets a mailbox of its own and its active mail server that login; the
 * mailbox goes when the database does. Without the mail catcher nothing changes.
 */
import { AppError } from "../../../server/sdk/index.ts";
import type { MAIL_CATCHER_SERVICE, MailCatcherService } from "../../mail-catcher/contract.ts";
import type { PreviewsCtx } from "../settings.ts";
import type { Side } from "./side.ts";

// Plugins share types, not code: the name is checked against the provider's contract.
const SERVICE: typeof MAIL_CATCHER_SERVICE = "mailCatcher";
/** The name Odoo's own neutralize script (and the backup plugin's) gives the one active server. */
const CATCHER_ROW = "neutralization - disable emails";

const catcher = (ctx: PreviewsCtx) => ctx.services.get<MailCatcherService>(SERVICE);

/**
 * Points the preview database's outgoing mail at a mailbox of its own; returns the mailbox id
 * (null without the mail catcher). The template was checked to have no active server but the
 * catcher or a dummy, so every active row is rewritten; with none, one is added, since Odoo would
 * otherwise fall back to odoo.conf's smtp_server.
 */
export async function ownMailbox(
  ctx: PreviewsCtx,
  side: Side,
  p: { instanceId: number; dbName: string },
): Promise<number | null> {
  const svc = catcher(ctx);
  if (!svc) return null;
  const box = await svc.mailboxFor(p.instanceId, p.dbName);
  const db = side.db.withDatabase(p.dbName);
  const vars = { name: CATCHER_ROW, host: box.host, port: box.port, user: box.user, pass: box.password };
  const set = `smtp_host = :'host', smtp_port = :port, smtp_user = :'user', smtp_pass = :'pass',
                smtp_authentication = 'login', from_filter = NULL`;
  await db.query(
    `BEGIN;
     UPDATE ir_mail_server SET ${set} WHERE active;
     INSERT INTO ir_mail_server (name, smtp_host, smtp_port, smtp_user, smtp_pass, smtp_encryption,
                                 smtp_authentication, active, sequence)
       SELECT :'name', :'host', :port, :'user', :'pass', 'none', 'login', true, 1
        WHERE NOT EXISTS (SELECT 1 FROM ir_mail_server WHERE active);
     COMMIT;`,
    vars,
  );
  // Fail closed: a preview that would send with the template's (or any other) login is not kept.
  const others = await db.scalar(
    "SELECT count(*) FROM ir_mail_server WHERE active AND smtp_user IS DISTINCT FROM :'user'",
    { user: box.user },
  );
  if (Number(others ?? 0) > 0)
    throw new AppError("E_VALIDATION", `${p.dbName} still has a mail server other than its own mailbox`, {
      hint: "Destroy the preview and refresh its template",
    });
  return box.mailbox;
}

/** The database is gone: its mailbox, its messages and their files go too. */
export async function dropMailbox(
  ctx: PreviewsCtx,
  p: { instanceId: number; dbName: string },
): Promise<void> {
  await catcher(ctx)?.dropFor(p.instanceId, p.dbName);
}

/** The preview's own inbox page (null without the mail catcher). */
export const inboxUrl = (ctx: PreviewsCtx, p: { instanceId: number; dbName: string }): string | null =>
  catcher(ctx) ? `/p/mail-catcher/i/${p.instanceId}/db/${encodeURIComponent(p.dbName)}` : null;
