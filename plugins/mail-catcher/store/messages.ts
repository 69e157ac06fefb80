/** Message metadata in the store. Inserts are batched into one transaction so SMTP floods keep up. */
import { randomBytes } from "node:crypto";
import { type Kysely, sql } from "../../../server/sdk/index.ts";
import type { ParsedMeta } from "./parse.ts";
import { ftsMatch, likePattern, parseQuery } from "./search.ts";

export interface MessageRow {
  id: string;
  mailboxId: number;
  receivedAt: number;
  sender: string;
  recipients: string[];
  subject: string;
  snippet: string;
  size: number;
  attachments: number;
  messageId: string | null;
  odooModel: string | null;
  odooResId: number | null;
  read: boolean;
}

const T = "mail_catcher_messages";
/**
 * Rows wait this long to be written together: each commit also writes a segment of the full-text
 * index, and a commit per one or two messages (what a flood spread over 20 clients gave) cost a
 * third of the catcher's CPU. The SMTP reply waits for the commit, so this is added to each
 * message's round trip: 20 ms capped 20 one-at-a-time clients under 1,000 msgs/s; 5 ms does not.
 */
const FLUSH_MS = 5;

function toRow(r: any): MessageRow {
  return {
    id: r.id,
    mailboxId: r.mailbox_id,
    receivedAt: r.received_at,
    sender: r.sender,
    recipients: JSON.parse(r.recipients),
    subject: r.subject,
    snippet: r.snippet,
    size: r.size,
    attachments: r.attachments,
    messageId: r.message_id,
    odooModel: r.odoo_model,
    odooResId: r.odoo_res_id,
    read: !!r.read,
  };
}

/** Sortable by time, unguessable: a share link cannot be walked to the next message. */
export const newMessageId = () => `${Date.now().toString(36)}${randomBytes(9).toString("base64url")}`;

/** What a mailbox holds: retention compares it with the limits before walking any message. */
export interface Held {
  count: number;
  bytes: number;
  oldest: number;
}

export interface ListQuery {
  /** null: every mailbox the caller may see (`mailboxIds`). */
  mailboxIds: number[] | null;
  query?: string;
  start?: number;
  limit?: number;
}

export class Messages {
  #queue: Array<{ values: Record<string, unknown>; done: (e?: unknown) => void }> = [];
  #flushing: Promise<void> | null = null;

  constructor(private readonly db: Kysely<any>) {}

  add(mailboxId: number, id: string, size: number, meta: ParsedMeta, receivedAt = Date.now()): Promise<void> {
    const values = {
      id,
      mailbox_id: mailboxId,
      received_at: receivedAt,
      sender: meta.sender,
      recipients: JSON.stringify(meta.recipients),
      subject: meta.subject,
      snippet: meta.snippet,
      body: meta.body,
      size,
      attachments: meta.attachments,
      message_id: meta.messageId,
      odoo_model: meta.odooModel,
      odoo_res_id: meta.odooResId,
    };
    return new Promise((resolve, reject) => {
      this.#queue.push({ values, done: (e) => (e ? reject(e) : resolve()) });
      this.#flushing ??= Bun.sleep(FLUSH_MS).then(() => this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, 500);
      try {
        await this.db.transaction().execute(async (tx) => {
          // `seq` keys the full-text index (migration 0002): numbered inside the write transaction
          const top = await tx
            .selectFrom(T)
            .select((eb) => eb.fn.max<number>("seq").as("s"))
            .executeTakeFirst();
          const first = Number(top?.s ?? 0) + 1;
          // One statement for the batch: a statement per message was a third of the insert time
          await tx
            .insertInto(T)
            .values(batch.map((b, i) => ({ ...b.values, seq: first + i })))
            .execute();
        });
        for (const b of batch) b.done();
      } catch (e) {
        for (const b of batch) b.done(e);
      }
    }
    this.#flushing = null;
  }

  /** The messages a query selects (not yet projected): list() and tests of its plan build on it. */
  filtered(q: ListQuery) {
    let s = this.db.selectFrom(T);
    const terms = parseQuery(q.query ?? "");
    // Terms the index can answer go in one MATCH: FTS5 intersects them itself, seeking through
    // the common one with the rare one (0 ms for "voice 4711" at 100,000, against 200 ms as
    // one subquery per term).
    const match = terms
      .map(ftsMatch)
      .filter((m): m is string => m != null)
      .join(" AND ");
    // The index's hits must drive the query: left to itself SQLite walks the mailbox index (every
    // message of it) and tests each row against the hits. The unary + keeps it off that index.
    const box = match ? sql`+mailbox_id` : sql`mailbox_id`;
    if (q.mailboxIds) s = s.where(box, "in", q.mailboxIds.length ? q.mailboxIds : [-1]);
    if (match)
      s = s.where(
        "seq",
        "in",
        sql`(SELECT rowid FROM mail_catcher_fts WHERE mail_catcher_fts MATCH ${match})`,
      );
    for (const term of terms.filter((t) => !ftsMatch(t)))
      s = s.where((eb) =>
        eb.or(
          term.fields.map((f) =>
            eb(sql`lower(${sql.ref(f)})`, "like", sql`${likePattern(term.text)} escape '\\'`),
          ),
        ),
      );
    return s;
  }

  async list(q: ListQuery): Promise<{ rows: MessageRow[]; total: number; unread: number }> {
    const page = (s: ReturnType<Messages["filtered"]>) =>
      s
        .orderBy("received_at", "desc")
        .orderBy("id", "desc")
        .limit(Math.min(q.limit ?? 50, 1000))
        .offset(q.start ?? 0);
    // A search counts its hits in the same pass: a second query ran the full-text match again
    // (half of 290 ms at 100,000 for two common terms). A plain listing pages along the index
    // and counts apart, rather than reading every message to count them in one go.
    if (parseQuery(q.query ?? "").length) {
      const rows = await page(this.filtered(q))
        .selectAll()
        .select([
          sql<number>`count(*) OVER ()`.as("_total"),
          sql<number>`sum(1 - "read") OVER ()`.as("_unread"),
        ])
        .execute();
      if (rows.length || !q.start)
        return {
          rows: rows.map(toRow),
          total: Number(rows[0]?._total ?? 0),
          unread: Number(rows[0]?._unread ?? 0),
        };
    }
    const rows = await page(this.filtered(q)).selectAll().execute();
    const c = await this.filtered(q)
      .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.sum<number>(sql`1 - "read"`).as("unread")])
      .executeTakeFirst();
    return { rows: rows.map(toRow), total: Number(c?.n ?? 0), unread: Number(c?.unread ?? 0) };
  }

  async get(id: string): Promise<MessageRow | null> {
    const r = await this.db.selectFrom(T).selectAll().where("id", "=", id).executeTakeFirst();
    return r ? toRow(r) : null;
  }

  async markRead(id: string): Promise<void> {
    await this.db.updateTable(T).set({ read: 1 }).where("id", "=", id).execute();
  }

  /** Deletes the given ids (within `mailboxIds`), or all of those mailboxes; returns what went. */
  async remove(
    mailboxIds: number[] | null,
    ids?: string[],
  ): Promise<Array<{ id: string; mailboxId: number }>> {
    let s = this.db.selectFrom(T).select(["id", "mailbox_id"]);
    if (mailboxIds) s = s.where("mailbox_id", "in", mailboxIds.length ? mailboxIds : [-1]);
    if (ids) s = s.where("id", "in", ids.length ? ids : [""]);
    const gone = (await s.execute()).map((r) => ({ id: r.id as string, mailboxId: r.mailbox_id as number }));
    for (let i = 0; i < gone.length; i += 500)
      await this.db
        .deleteFrom(T)
        .where(
          "id",
          "in",
          gone.slice(i, i + 500).map((g) => g.id),
        )
        .execute();
    return gone;
  }

  /** Messages, bytes and the oldest arrival per mailbox (one grouped query over the mailbox index). */
  async stats(mailboxIds: number[]): Promise<Map<number, Held>> {
    const rows = await this.db
      .selectFrom(T)
      .select((eb) => [
        "mailbox_id",
        eb.fn.countAll<number>().as("n"),
        eb.fn.sum<number>("size").as("bytes"),
        eb.fn.min<number>("received_at").as("oldest"),
      ])
      .where("mailbox_id", "in", mailboxIds.length ? mailboxIds : [-1])
      .groupBy("mailbox_id")
      .execute();
    return new Map(
      rows.map((r) => [
        r.mailbox_id as number,
        { count: Number(r.n), bytes: Number(r.bytes ?? 0), oldest: Number(r.oldest) },
      ]),
    );
  }

  /** Newest first, with sizes: what retention walks. */
  async sizes(mailboxId: number): Promise<Array<{ id: string; size: number; receivedAt: number }>> {
    return (
      await this.db
        .selectFrom(T)
        .select(["id", "size", "received_at"])
        .where("mailbox_id", "=", mailboxId)
        .orderBy("received_at", "desc")
        .orderBy("id", "desc")
        .execute()
    ).map((r) => ({ id: r.id, size: r.size, receivedAt: r.received_at }));
  }
}
