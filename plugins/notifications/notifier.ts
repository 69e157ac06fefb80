import { listChannels, listRules } from "./channels.ts";
import { sendNotice } from "./send.ts";
import type { NotificationsCtx } from "./tables.ts";

/** Events never worth a delivery: progress ticks and the audit echo of every action. */
const NEVER = new Set(["operation.updated", "audit.recorded"]);

export interface NotifierOptions {
  /** First retry delay; each next one doubles (default 30 s: 30 s, 1 min, 2 min, 4 min…). */
  backoffMs?: number;
  maxAttempts?: number;
}

/**
 * Turns events into persisted deliveries (one per matching rule) and sends them with retries and
 * exponential back-off. Started and stopped with the plugin; deliveries survive restarts: pending
 * ones are retried when the notifier starts again.
 */
export class Notifier {
  readonly backoffMs: number;
  readonly maxAttempts: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<void> | null = null;
  #stopped = true;
  #off: (() => void) | null = null;

  constructor(
    private readonly ctx: NotificationsCtx,
    opts: NotifierOptions = {},
  ) {
    this.backoffMs = opts.backoffMs ?? Number(process.env.ODOODECK_NOTIFY_BACKOFF_MS ?? 30_000);
    this.maxAttempts = opts.maxAttempts ?? 6;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#off = this.ctx.events.onAny(
      (e) =>
        void this.#enqueue(e).catch((err) => this.ctx.log.error("enqueue failed", { error: String(err) })),
    );
    this.schedule(0);
  }

  /** Stops listening and sending; waits for a pass in flight, so the store can close after. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#off?.();
    this.#off = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  get running(): boolean {
    return !this.#stopped;
  }

  async #enqueue(e: { name: string; payload: unknown }): Promise<void> {
    if (NEVER.has(e.name) || this.#stopped) return;
    const status = (e.payload as { status?: string } | null)?.status ?? null;
    const rules = (await listRules(this.ctx.db)).filter(
      (r) => r.event === e.name && (!r.status || r.status === status),
    );
    if (!rules.length) return;
    const now = new Date().toISOString();
    for (const channel of new Set(rules.map((r) => r.channel_id)))
      await this.ctx.db
        .insertInto("notifications_deliveries")
        .values({
          channel_id: channel,
          event: e.name,
          payload: JSON.stringify(e.payload ?? null),
          status: "pending",
          attempts: 0,
          next_attempt_at: now,
          created_at: now,
        })
        .execute();
    this.schedule(0);
  }

  /** Queues a one-off test message on a channel (the “Send test” button). */
  async test(channelId: number): Promise<void> {
    const now = new Date().toISOString();
    await this.ctx.db
      .insertInto("notifications_deliveries")
      .values({
        channel_id: channelId,
        event: "notification.test",
        payload: JSON.stringify({ status: "ok", summary: "Test message from odoodeck" }),
        status: "pending",
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
      })
      .execute();
    this.schedule(0);
  }

  schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running ??= this.#drain()
        .catch((e) => this.ctx.log.warn("delivery pass failed", { error: String(e) }))
        .finally(() => {
          this.#running = null;
        });
    }, ms);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Sends everything due, then sleeps until the next retry is due. */
  async #drain(): Promise<void> {
    const db = this.ctx.db;
    const due = await db
      .selectFrom("notifications_deliveries")
      .selectAll()
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", new Date().toISOString())
      .orderBy("id")
      .limit(50)
      .execute()
      .catch(() => []); // the store closes on shutdown
    if (due.length) {
      const channels = new Map((await listChannels(db, this.ctx.secrets)).map((c) => [c.id, c]));
      await Promise.all(
        due.map(async (d) => {
          const ch = channels.get(d.channel_id);
          const attempts = d.attempts + 1;
          try {
            if (!ch) throw new Error("the channel was removed");
            if (!ch.enabled) throw new Error("the channel is disabled");
            await sendNotice(ch, {
              id: d.id,
              event: d.event,
              payload: JSON.parse(d.payload),
              at: d.created_at,
            });
            await db
              .updateTable("notifications_deliveries")
              .set({ status: "sent", attempts, last_error: null, sent_at: new Date().toISOString() })
              .where("id", "=", d.id)
              .execute();
          } catch (e) {
            const last = attempts >= this.maxAttempts || !ch;
            const next = new Date(Date.now() + this.backoffMs * 2 ** (attempts - 1)).toISOString();
            await db
              .updateTable("notifications_deliveries")
              .set({
                status: last ? "failed" : "pending",
                attempts,
                last_error: (e as Error).message,
                next_attempt_at: next,
              })
              .where("id", "=", d.id)
              .execute();
            if (last)
              this.ctx.log.warn(`delivery ${d.id} (${d.event}) failed for good: ${(e as Error).message}`);
          }
        }),
      );
    }
    const next = await db
      .selectFrom("notifications_deliveries")
      .select((eb) => eb.fn.min("next_attempt_at").as("at"))
      .where("status", "=", "pending")
      .executeTakeFirst()
      .catch(() => null);
    if (next?.at) this.schedule(Math.max(0, Date.parse(next.at as string) - Date.now()));
  }
}
