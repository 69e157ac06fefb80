/** What a share link opens without sign-in: one message, read-only, until the link expires. */
import { Hono } from "hono";
import { AppError, type AppContext, type Env, type PluginContext } from "../../../server/sdk/index.ts";
import type { Catcher } from "../catcher.ts";
import { readFull } from "../store/full.ts";
import { MessageView } from "./components.tsx";
import { serveFrame } from "./html-frame.ts";
import { verifyShare } from "./share-link.ts";

export function publicShareRoutes(ctx: PluginContext<any>, catcher: Catcher): Hono<Env> {
  const app = new Hono<Env>();

  async function shared(c: AppContext) {
    const token = c.req.param("token") ?? "";
    const id = verifyShare(ctx.secrets, token);
    const row = id && (await catcher.messages.get(id));
    if (!row)
      throw new AppError("E_NOT_FOUND", "This share link is invalid or has expired", {
        hint: "Ask for a new link",
      });
    return { row, token };
  }

  app.get("/share/:token", async (c) => {
    const { row, token } = await shared(c);
    const full = await readFull(catcher, row);
    const base = `/pub/mail-catcher/share/${token}`;
    const remote = c.req.query("remote") === "1";
    return c.html(
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <title>{row.subject || "Shared mail"}</title>
          <link rel="stylesheet" href="/assets/app.css" />
        </head>
        <body>
          <main class="card">
            <p class="muted">A copy of a mail from a test system, shared read-only.</p>
            <MessageView
              row={row}
              full={full}
              remote={remote}
              remoteUrl={`${base}?remote=1`}
              urls={{ html: `${base}/html`, raw: `${base}/raw`, part: (p) => `${base}/part/${p}` }}
            />
          </main>
        </body>
      </html>,
    );
  });
  app.get("/share/:token/html", async (c) => {
    const { row } = await shared(c);
    const full = await readFull(catcher, row);
    return serveFrame(c, full.html, full.text, c.req.query("remote") === "1");
  });
  app.get("/share/:token/raw", async (c) => {
    const { row } = await shared(c);
    return c.body(new Uint8Array(await catcher.files.read(row.mailboxId, row.id)), 200, {
      "Content-Type": "text/plain; charset=utf-8",
    });
  });
  app.get("/share/:token/part/:part", async (c) => {
    const { row } = await shared(c);
    const p = (await readFull(catcher, row)).parts.find((x) => x.partId === c.req.param("part"));
    if (!p) throw new AppError("E_NOT_FOUND", "No such attachment");
    return c.body(new Uint8Array(p.content), 200, {
      "Content-Type": "application/octet-stream",
      "Content-Disposition": `attachment; filename="${p.filename.replace(/[^\w.\- ]/g, "_")}"`,
    });
  });
  return app;
}
