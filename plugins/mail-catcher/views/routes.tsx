/** Pages: inbox per instance and "all" (live over SSE, search), message view, share, release, inbound. */
import { Hono } from "hono";
import {
  AppError,
  type AppContext,
  type Env,
  instanceRoute,
  type PluginContext,
  sseStream,
  ui,
} from "../../../server/sdk/index.ts";
import { visibleMailboxes } from "../api/access.ts";
import type { Catcher } from "../catcher.ts";
import type { MailSettings } from "../settings.ts";
import { readFull } from "../store/full.ts";
import type { Mailbox } from "../store/mailboxes.ts";
import { InboxList, MessageView } from "./components.tsx";
import { formBody } from "./form-body.ts";
import { serveFrame } from "./html-frame.ts";
import { MailboxTable, mailboxRoutes, mayEdit } from "./mailboxes.tsx";
import { SHARE_DAYS } from "../message-operations.ts";

const BASE = "/p/mail-catcher";

export function pageRoutes(ctx: PluginContext<MailSettings>, catcher: Catcher): Hono<Env> {
  const app = new Hono<Env>();

  /**
   * Mailboxes of one instance ("<instance id>"), one mailbox ("mb<id>": a preview's, a copy's) or
   * all visible ("all"), after the role check. A mailbox the caller may not see is missing.
   */
  async function scope(
    c: AppContext,
    which: string,
  ): Promise<{ boxes: Mailbox[]; instanceId: number | null; one?: Mailbox }> {
    if (which === "all") {
      await ctx.auth.require(c, "viewer");
      return { boxes: await visibleMailboxes(ctx, catcher, c), instanceId: null };
    }
    if (which.startsWith("mb")) {
      const box = catcher.mailboxes.get(Number(which.slice(2)));
      if (!box || !(await ctx.auth.can(c.get("principal"), "viewer", box.instanceId)))
        throw new AppError("E_NOT_FOUND", "No such mailbox", {
          hint: "It goes when its database is dropped",
        });
      return { boxes: [box], instanceId: box.instanceId, one: box };
    }
    const instanceId = Number(which);
    if (!Number.isInteger(instanceId)) throw new AppError("E_NOT_FOUND");
    await ctx.auth.require(c, "viewer", instanceId);
    return { boxes: catcher.mailboxes.list().filter((m) => m.instanceId === instanceId), instanceId };
  }

  async function listFragment(c: AppContext, which: string) {
    const { boxes, instanceId, one } = await scope(c, which);
    const q = c.req.query("q") ?? "";
    const r = await catcher.messages.list({ mailboxIds: boxes.map((b) => b.id), query: q, limit: 100 });
    const listUrl = `${BASE}/list/${which}?q=${encodeURIComponent(q)}`;
    return {
      boxes,
      instanceId,
      one,
      q,
      el: <InboxList rows={r.rows} total={r.total} listUrl={listUrl} base={BASE} />,
    };
  }

  async function inbox(c: AppContext, which: string) {
    const { boxes, instanceId, one, q, el } = await listFragment(c, which);
    // Inbound mail goes to the instance's own Odoo: offered on its inbox, not on one database's.
    const canOperate =
      !one && instanceId != null && (await ctx.auth.can(c.get("principal"), "operator", instanceId));
    const title = `Caught mail${which === "all" ? " (all instances)" : one ? ` of ${one.label}` : ""}`;
    return ctx.views.page(c, {
      title: "Caught mail",
      instanceId,
      body: (
        <>
          {/* A global page has no instance header: it names itself. */}
          {instanceId == null ? <h1>Caught mail</h1> : null}
          <ui.Card title={title}>
            {boxes.length ? (
              <MailboxTable
                boxes={boxes}
                stats={await catcher.messages.stats(boxes.map((b) => b.id))}
                defaults={await ctx.settings()}
                editable={new Set(await editableIds(c, boxes))}
              />
            ) : (
              <p class="muted">No mailbox yet: one is made for each neutralized database.</p>
            )}
            <form method="get" action={c.req.path} role="search">
              <input name="q" value={q} placeholder="from:… to:… subject:… words" aria-label="Search" />
              <button type="submit">Search</button>
            </form>
            <div hx-ext="sse" sse-connect={`${BASE}/live/${which}`}>
              {el}
            </div>
            {canOperate ? (
              <details>
                <summary>Send a mail to this instance (inbound)</summary>
                <ui.Form action={`${BASE}/i/${instanceId}/inbound`}>
                  <ui.Field label="From" name="from" required value="customer@example.com" />
                  <ui.Field label="To (an alias, e.g. sales@…)" name="to" required />
                  <ui.Field label="Subject" name="subject" required />
                  <ui.Field label="In reply to (Message-Id, optional)" name="inReplyTo" />
                  <label class="field">
                    <span>Text</span>
                    <textarea name="text" rows={5} />
                  </label>
                  <button type="submit">Deliver to Odoo</button>
                </ui.Form>
              </details>
            ) : null}
          </ui.Card>
        </>
      ),
    });
  }

  const editableIds = async (c: AppContext, boxes: Mailbox[]) =>
    (await Promise.all(boxes.map(async (b) => ((await mayEdit(ctx, c, b)) ? b.id : null)))).filter(
      (id): id is number => id != null,
    );

  app.route("/", mailboxRoutes(ctx, catcher));
  app.get("/", (c) => inbox(c, "all"));
  app.get("/i/:instance", (c) => inbox(c, c.req.param("instance")));
  /** One database's mailbox (a preview links its own inbox here). */
  app.get("/i/:instance/db/:db", async (c) => {
    const instanceId = Number(c.req.param("instance"));
    if (!Number.isInteger(instanceId)) throw new AppError("E_NOT_FOUND");
    await ctx.auth.require(c, "viewer", instanceId);
    const box = catcher.mailboxes.find(instanceId, c.req.param("db"));
    if (!box)
      throw new AppError("E_NOT_FOUND", `${c.req.param("db")} has no mailbox`, {
        hint: "A database gets one when it is neutralized, and loses it when it is dropped",
      });
    return inbox(c, `mb${box.id}`);
  });
  app.get("/list/:which", async (c) => c.html((await listFragment(c, c.req.param("which"))).el));

  app.get("/live/:which", async (c) => {
    const ids = new Set((await scope(c, c.req.param("which"))).boxes.map((b) => b.id));
    return sseStream(c.req.raw.signal, (send) =>
      catcher.subscribe((m) => {
        if (ids.has(m.mailboxId)) send({ event: "mail", data: { id: m.id, subject: m.subject } });
      }),
    );
  });

  /** A message the caller may see (viewer on its mailbox's instance). */
  async function message(c: AppContext) {
    const row = await catcher.messages.get(c.req.param("id") ?? "");
    const box = row && catcher.mailboxes.get(row.mailboxId);
    if (!row || !box || !(await ctx.auth.can(c.get("principal"), "viewer", box.instanceId)))
      throw new AppError("E_NOT_FOUND", "No such message", { hint: "It may have been removed by retention" });
    return { row, box };
  }

  app.get("/m/:id", async (c) => {
    const { row, box } = await message(c);
    const full = await readFull(catcher, row);
    await catcher.messages.markRead(row.id);
    const remote = c.req.query("remote") === "1";
    const admin = await ctx.auth.can(c.get("principal"), "admin");
    const flash =
      (c.req.query("shared") && {
        kind: "ok" as const,
        message: `Share link (read-only, ${SHARE_DAYS} days): ${new URL(c.req.url).origin}/pub/mail-catcher/share/${c.req.query("shared")}`,
      }) ||
      null;
    return ctx.views.page(c, {
      title: row.subject || "Caught mail",
      instanceId: box.instanceId,
      flash,
      body: (
        <ui.Card>
          <MessageView
            row={row}
            full={full}
            remote={remote}
            remoteUrl={`${BASE}/m/${row.id}?remote=1`}
            urls={{
              html: `${BASE}/m/${row.id}/html`,
              raw: `${BASE}/m/${row.id}/raw`,
              part: (p) => `${BASE}/m/${row.id}/part/${p}`,
            }}
            actions={
              <div class="actions">
                <ui.Form action={`${BASE}/m/${row.id}/share`} id="mc-share">
                  <button type="submit">Share read-only link</button>
                </ui.Form>
                {admin ? (
                  <ui.Form action={`${BASE}/m/${row.id}/release`} id="mc-release">
                    <ui.Field label="Release to (allow-listed addresses)" name="to" required />
                    <button type="submit">Release</button>
                  </ui.Form>
                ) : null}
              </div>
            }
          />
        </ui.Card>
      ),
    });
  });

  app.get("/m/:id/html", async (c) => {
    const { row } = await message(c);
    const full = await readFull(catcher, row);
    return serveFrame(c, full.html, full.text, c.req.query("remote") === "1");
  });
  app.get("/m/:id/raw", async (c) => {
    const { row } = await message(c);
    return c.body(new Uint8Array(await catcher.files.read(row.mailboxId, row.id)), 200, {
      "Content-Type": "text/plain; charset=utf-8",
    });
  });
  app.get("/m/:id/part/:part", async (c) => {
    const { row } = await message(c);
    const p = (await readFull(catcher, row)).parts.find((x) => x.partId === c.req.param("part"));
    if (!p) throw new AppError("E_NOT_FOUND", "No such attachment");
    return c.body(new Uint8Array(p.content), 200, {
      "Content-Type": "application/octet-stream",
      "Content-Disposition": `attachment; filename="${p.filename.replace(/[^\w.\- ]/g, "_")}"`,
    });
  });

  // Share, release and inbound run their operations (ctx.operations.invoke): role, the one audit
  // entry (a refusal included) and the answer are those of REST /ops, the CLI and MCP.
  app.post("/m/:id/share", async (c) => {
    const r = (await ctx.operations.invoke(c, "mail-catcher.share", { id: c.req.param("id") })).data as {
      id: string;
      token: string;
    };
    return c.redirect(`${BASE}/m/${r.id}?shared=${encodeURIComponent(r.token)}`, 303);
  });

  app.post("/m/:id/release", async (c) => {
    const { row } = await message(c);
    const to =
      (await formBody(c)).to
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean) ?? [];
    const r = (await ctx.operations.invoke(c, "mail-catcher.release", { id: row.id, to })).data as {
      accepted: string[];
    };
    return c.text(`Released to ${r.accepted.join(", ")}`);
  });

  app.post("/i/:instance/inbound", instanceRoute(ctx, "viewer"), async (c) => {
    const f = await formBody(c);
    if (!f.to || !f.from) throw new AppError("E_VALIDATION", "From and To are needed");
    const r = (
      await ctx.operations.invoke(c, "mail-catcher.inbound", {
        instance: c.var.instance.id,
        from: f.from,
        to: f.to,
        subject: f.subject ?? "",
        text: f.text ?? "",
        ...(f.inReplyTo ? { inReplyTo: f.inReplyTo } : {}),
      })
    ).data as { result: string };
    return c.text(`Delivered to Odoo (message_process answered ${r.result || "ok"})`);
  });

  return app;
}
