/**
 * A Mailpit-compatible subset, so Mailpit's clients and test helpers work unchanged against a
 * mailbox: base URL `<odoodeck>/pub/mail-catcher/mailpit/<mailbox id>` with the mailbox's SMTP
 * credentials as Basic auth, or `<odoodeck>/api/v1/mail-catcher/mailpit/<mailbox id|all>` with
 * a token. Answers are Mailpit's plain JSON (not odoodeck's envelope), errors plain text.
 */
import { Hono } from "hono";
import { AppError, type Env, type PluginContext } from "../../../server/sdk/index.ts";
import type { Catcher } from "../catcher.ts";
import { readFull } from "../store/full.ts";
import { boxesFor } from "./access.ts";
import { headerMap, listItem, summary } from "./mailpit-format.ts";

const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);

export function mailpitRoutes(ctx: PluginContext<any>, catcher: Catcher): Hono<Env> {
  const app = new Hono<Env>();
  // Mailpit's clients read plain-text errors with the HTTP status
  app.onError((e, c) => {
    const err = e instanceof AppError ? e : new AppError("E_INTERNAL");
    if (!(e instanceof AppError)) ctx.log.warn("mailpit api failed", { error: String(e) });
    return c.text(`${err.message}${err.hint ? ` (${err.hint})` : ""}`, err.status as any);
  });

  const list = async (c: any, query: string) => {
    const boxes = await boxesFor(ctx, catcher, c, c.req.param("box"));
    const start = num(c.req.query("start"), 0);
    const r = await catcher.messages.list({
      mailboxIds: boxes.map((b) => b.id),
      query,
      start,
      limit: num(c.req.query("limit"), 50),
    });
    const all = query ? await catcher.messages.list({ mailboxIds: boxes.map((b) => b.id), limit: 0 }) : r;
    return c.json({
      total: all.total,
      unread: all.unread,
      count: r.rows.length,
      messages_count: r.total,
      messages_unread: r.unread,
      start,
      tags: [],
      messages: r.rows.map((m) => listItem(m, boxes.find((b) => b.id === m.mailboxId)?.smtpUser)),
    });
  };

  /** One message within the caller's mailboxes ("latest": the newest). */
  const one = async (c: any) => {
    const boxes = await boxesFor(ctx, catcher, c, c.req.param("box"));
    const id = c.req.param("id");
    const ids = boxes.map((b) => b.id);
    const row =
      id === "latest"
        ? ((await catcher.messages.list({ mailboxIds: ids, limit: 1 })).rows[0] ?? null)
        : await catcher.messages.get(id);
    if (!row || !ids.includes(row.mailboxId)) throw new AppError("E_NOT_FOUND", `No message ${id}`);
    return row;
  };

  const remove = async (c: any, query: string | null) => {
    const boxes = await boxesFor(ctx, catcher, c, c.req.param("box"));
    let ids: string[] | undefined;
    const text = await c.req.text();
    if (text) {
      try {
        const body = JSON.parse(text);
        if (Array.isArray(body?.IDs) && body.IDs.length) ids = body.IDs.map(String);
      } catch {
        throw new AppError("E_BAD_JSON");
      }
    }
    if (query != null)
      ids = (
        await catcher.messages.list({ mailboxIds: boxes.map((b) => b.id), query, limit: 1000 })
      ).rows.map((r) => r.id);
    await catcher.deleteMessages(
      boxes.map((b) => b.id),
      ids,
    );
    return c.text("ok");
  };

  const base = "/mailpit/:box/api/v1";
  app.get(`${base}/messages`, (c) => list(c, ""));
  app.get(`${base}/search`, (c) => list(c, c.req.query("query") ?? ""));
  app.delete(`${base}/messages`, (c) => remove(c, null));
  app.delete(`${base}/search`, (c) => remove(c, c.req.query("query") ?? ""));
  app.get(`${base}/message/:id`, async (c) => {
    const row = await one(c);
    const full = await readFull(catcher, row);
    await catcher.messages.markRead(row.id);
    return c.json(summary({ ...row, read: true }, full));
  });
  app.get(`${base}/message/:id/headers`, async (c) =>
    c.json(headerMap(await readFull(catcher, await one(c)))),
  );
  app.get(`${base}/message/:id/raw`, async (c) => {
    const row = await one(c);
    return c.body(new Uint8Array(await catcher.files.read(row.mailboxId, row.id)), 200, {
      "Content-Type": "text/plain; charset=utf-8",
    });
  });
  app.get(`${base}/message/:id/part/:part`, async (c) => {
    const full = await readFull(catcher, await one(c));
    const p = full.parts.find((x) => x.partId === c.req.param("part"));
    if (!p) throw new AppError("E_NOT_FOUND", "No such part");
    return c.body(new Uint8Array(p.content), 200, {
      "Content-Type": "application/octet-stream",
      "Content-Disposition": `attachment; filename="${p.filename.replace(/[^\w.\- ]/g, "_")}"`,
    });
  });
  return app;
}
