/**
 * The catcher's state: mailboxes, messages (metadata in the store, raw on disk), live listeners
 * and waiters. SMTP, pages, the API and the service all go through one instance.
 */
import { join } from "node:path";
import type { PluginContext } from "../../server/sdk/index.ts";
import type { CaughtMail } from "./contract.ts";
import type { MailSettings } from "./settings.ts";
import { type Mailbox, Mailboxes } from "./store/mailboxes.ts";
import { type Held, Messages, type MessageRow, newMessageId } from "./store/messages.ts";
import { parseMeta } from "./store/parse.ts";
import { RawFiles } from "./store/raw-files.ts";
import { expiredIds } from "./store/retention.ts";

type Listener = (m: MessageRow) => void;

export class Catcher {
  readonly mailboxes: Mailboxes;
  readonly messages: Messages;
  readonly files: RawFiles;
  #listeners = new Set<Listener>();
  #retentionDue = new Map<number, ReturnType<typeof setTimeout>>();
  /** Retention passes under way, awaited by `close()`. */
  #passes = new Set<Promise<unknown>>();
  /** Pending `waitFor`s, answered "none" by `close()`. */
  #waiters = new Set<() => void>();
  #closed = false;
  /**
   * What each mailbox holds, kept up to date on delivery: retention used to read every message of
   * the mailbox after each burst, a pass that grows with the mailbox (a flood at 100,000 slowed
   * to half its speed). Forgotten, and read again, whenever messages are removed.
   */
  #held = new Map<number, Held>();

  constructor(readonly ctx: PluginContext<MailSettings>) {
    this.mailboxes = new Mailboxes(ctx.db, ctx.secrets);
    this.messages = new Messages(ctx.db);
    this.files = new RawFiles(join(ctx.dataDir, "mail"));
  }

  /** Stores one message: file first, then its row, so a listed message always has its file. */
  async deliver(box: Mailbox, raw: Buffer, envelope: { from: string; to: string[] }): Promise<MessageRow> {
    const id = newMessageId();
    const meta = await parseMeta(raw, envelope);
    await this.files.write(box.id, id, raw);
    const receivedAt = Date.now();
    try {
      await this.messages.add(box.id, id, raw.length, meta, receivedAt);
    } catch (e) {
      await this.files.remove(box.id, [id]);
      throw e;
    }
    const held = this.#held.get(box.id);
    if (held) {
      held.count++;
      held.bytes += raw.length;
    }
    const row: MessageRow = {
      id,
      mailboxId: box.id,
      receivedAt,
      sender: meta.sender,
      recipients: meta.recipients,
      subject: meta.subject,
      snippet: meta.snippet,
      size: raw.length,
      attachments: meta.attachments,
      messageId: meta.messageId,
      odooModel: meta.odooModel,
      odooResId: meta.odooResId,
      read: false,
    };
    for (const l of this.#listeners) l(row);
    this.#scheduleRetention(box.id);
    return row;
  }

  /** Live feed (SSE, waiters); returns the unsubscribe. */
  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  // Retention runs shortly after a burst rather than per message: a flood costs one pass.
  #scheduleRetention(mailboxId: number) {
    if (this.#closed || this.#retentionDue.has(mailboxId)) return;
    this.#retentionDue.set(
      mailboxId,
      setTimeout(() => {
        this.#retentionDue.delete(mailboxId);
        const pass = this.applyRetention(mailboxId, Date.now(), false)
          .catch((e) => this.ctx.log.warn("retention failed", { error: String(e) }))
          .finally(() => this.#passes.delete(pass));
        this.#passes.add(pass);
      }, 200),
    );
  }

  /**
   * The plugin stops: passes that were due are dropped (the hourly job catches up after a
   * restart), one under way is let finish while the store is still open, waiters get "none".
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#retentionDue.values()) clearTimeout(t);
    this.#retentionDue.clear();
    for (const w of [...this.#waiters]) w();
    await Promise.all(this.#passes);
  }

  /**
   * Deletes what falls outside the mailbox's count, size and age limits; returns how many. After a
   * burst (`fresh` false) the running totals decide whether to look; the hourly job and a change
   * of limits count afresh, so a delivery racing the count is never missed for long.
   */
  async applyRetention(mailboxId: number, now = Date.now(), fresh = true): Promise<number> {
    if (fresh) this.#held.delete(mailboxId);
    const box = this.mailboxes.get(mailboxId);
    if (!box) return 0;
    const s = await this.ctx.settings();
    const limits = {
      count: box.retainCount ?? s.retainCount,
      bytes: (box.retainMb ?? s.retainMb) * 1024 * 1024,
      maxAgeMs: (box.retainDays ?? s.retainDays) * 86_400_000,
    };
    const held = await this.#holding(mailboxId);
    const within =
      held.count <= limits.count && held.bytes <= limits.bytes && now - held.oldest <= limits.maxAgeMs;
    if (within) return 0;
    this.#held.delete(mailboxId);
    const ids = expiredIds(await this.messages.sizes(mailboxId), limits, now);
    if (ids.length) {
      await this.messages.remove([mailboxId], ids);
      await this.files.remove(mailboxId, ids);
    }
    return ids.length;
  }

  async #holding(mailboxId: number): Promise<Held> {
    let held = this.#held.get(mailboxId);
    if (!held) {
      held = (await this.messages.stats([mailboxId])).get(mailboxId) ?? {
        count: 0,
        bytes: 0,
        oldest: Date.now(),
      };
      this.#held.set(mailboxId, held);
    }
    return held;
  }

  async deleteMessages(mailboxIds: number[] | null, ids?: string[]): Promise<number> {
    this.#held.clear();
    const gone = await this.messages.remove(mailboxIds, ids);
    await Promise.all(gone.map((g) => this.files.remove(g.mailboxId, [g.id])));
    return gone.length;
  }

  async dropMailbox(id: number): Promise<void> {
    this.#held.delete(id);
    await this.messages.remove([id]);
    await this.mailboxes.remove(id);
    this.files.removeMailbox(id);
  }

  /** The first message to `to` (case-insensitive) received at or after `since`, waiting up to `within` ms. */
  async waitFor(q: {
    to: string;
    within: number;
    since?: number;
    mailbox?: number;
    mailboxes?: number[];
  }): Promise<CaughtMail | null> {
    const to = q.to.toLowerCase();
    const since = q.since ?? Date.now();
    const boxes = q.mailboxes ?? (q.mailbox == null ? null : [q.mailbox]);
    const matches = (m: MessageRow) =>
      m.receivedAt >= since &&
      (boxes == null || boxes.includes(m.mailboxId)) &&
      m.recipients.some((r) => r.toLowerCase() === to);
    if (this.#closed) return null;
    return new Promise((resolve) => {
      let done = false;
      const finish = (m: MessageRow | null) => {
        if (done) return;
        done = true;
        off();
        clearTimeout(timer);
        this.#waiters.delete(none);
        resolve(m && toCaught(m));
      };
      const none = () => finish(null);
      this.#waiters.add(none);
      const off = this.subscribe((m) => matches(m) && finish(m));
      const timer = setTimeout(() => finish(null), Math.max(0, q.within));
      // Already there (sent between `since` and now)?
      this.messages
        .list({ mailboxIds: boxes, query: `to:"${q.to}"`, limit: 20 })
        .then((r) => {
          const hit = r.rows.filter(matches).at(-1);
          if (hit) finish(hit);
        })
        .catch(() => {});
    });
  }
}

export const toCaught = (m: MessageRow): CaughtMail => ({
  id: m.id,
  from: m.sender,
  to: m.recipients,
  subject: m.subject,
  receivedAt: new Date(m.receivedAt).toISOString(),
});
