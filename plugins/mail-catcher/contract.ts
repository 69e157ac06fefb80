/**
 * The `mailCatcher` service other plugins use (types only: import type from here).
 * The backup plugin points a neutralized database's mail server at `mailboxFor(...)`.
 * @example
 * const mc = ctx.services.get<MailCatcherService>(MAIL_CATCHER_SERVICE);
 * const box = await mc?.mailboxFor(inst.id, "acme_copy"); // {host, port, user, password}
 */
export const MAIL_CATCHER_SERVICE = "mailCatcher";

export interface MailboxCredentials {
  /** The mailbox's id (for `drop`). */
  mailbox: number;
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface CaughtMail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  receivedAt: string;
}

export interface MailCatcherService {
  /** The mailbox of one database, created with its own random credentials on first call. */
  mailboxFor(instanceId: number | null, dbName: string): Promise<MailboxCredentials>;
  /** Removes a mailbox, its messages and their files (the database is gone). */
  drop(mailbox: number): Promise<void>;
  /** As `drop`, for the mailbox of one database; false when it had none. */
  dropFor(instanceId: number | null, dbName: string): Promise<boolean>;
  /** Resolves with the first message to `to` received since the call (or `since`), null after `within` ms. */
  waitFor(q: { to: string; within: number; since?: number; mailbox?: number }): Promise<CaughtMail | null>;
}
