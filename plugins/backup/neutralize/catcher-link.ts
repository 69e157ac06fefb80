/**
 * Every neutralized database (restore, copy, restore test, preview) sends its mail to a mailbox
 * of its own in odoodeck's mail catcher, created with it and removed with it (issue 21). The mail
 * catcher is optional: without it the copy keeps Odoo's dummy server `invalid:1025`.
 */
import type { PluginContext } from "../../../server/sdk/index.ts";
import type { MAIL_CATCHER_SERVICE, MailCatcherService } from "../../mail-catcher/contract.ts";
import type { CatcherMailbox } from "./neutralize.ts";

// Plugins share types, not code: the name is checked against the provider's contract.
const SERVICE: typeof MAIL_CATCHER_SERVICE = "mailCatcher";

export type NeutralizedKind = "restore" | "copy" | "preview" | "restore-test";

/** What a neutralizing run needs of the mail catcher, bound to one instance. */
export interface CatcherLink {
  /** The database's mailbox (made now, own credentials); null when the mail catcher is not running. */
  open(dbName: string): Promise<CatcherMailbox | null>;
  /** The database is neutralized and live. */
  neutralized(dbName: string, kind: NeutralizedKind): void;
  /** The database is gone (dropped, or never published): its mailbox and mail go too. */
  dropped(dbName: string): void;
}

export function catcherLink(ctx: PluginContext<any>, instanceId: number | null): CatcherLink {
  return {
    async open(dbName) {
      const svc = ctx.services.get<MailCatcherService>(SERVICE);
      if (!svc) return null;
      const box = await svc.mailboxFor(instanceId, dbName);
      return { host: box.host, port: box.port, user: box.user, password: box.password, mailbox: box.mailbox };
    },
    neutralized: (dbName, kind) => ctx.events.emit("database.neutralized", { instanceId, dbName, kind }),
    dropped: (dbName) => ctx.events.emit("database.dropped", { instanceId, dbName }),
  };
}
