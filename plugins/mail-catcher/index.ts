/**
 * Mail catcher: an SMTP server inside odoodeck with one mailbox per neutralized database, so
 * copies, previews and restore tests never mail a customer and people still see what they sent.
 */
import { join } from "node:path";
import { definePlugin } from "../../server/sdk/index.ts";
import { mailpitRoutes } from "./api/mailpit.ts";
import { Catcher } from "./catcher.ts";
import { MAIL_CATCHER_SERVICE, type MailCatcherService } from "./contract.ts";
import { declareMessageOperations } from "./message-operations.ts";
import { declareOperations } from "./operations.ts";
import { type MailSettings, settings } from "./settings.ts";
import { startSmtp } from "./smtp/server.ts";
import { ensureCertificate } from "./smtp/tls.ts";
import { migrations } from "./store/migrations.ts";
import { pageRoutes } from "./views/routes.tsx";
import { publicShareRoutes } from "./views/public-routes.tsx";

interface Running {
  catcher: Catcher;
  smtp: { port: number; close(): Promise<void> } | null;
  refresh: ReturnType<typeof setInterval> | null;
}
/** Per core (tests run several in one process): the context is the key. */
const running = new WeakMap<object, Running>();

export default definePlugin<MailSettings>({
  id: "mail-catcher",
  name: "Mail catcher",
  version: "1.0.0",
  sdk: "^2",
  description: "Catches the mail of neutralized databases, one mailbox each",
  capabilities: ["network", "filesystem", "spawn"],
  migrations,
  settings,
  nav: [
    { label: "Mail", path: "/", scope: "global", order: 60 },
    { label: "Mail", path: "", scope: "instance", order: 60 },
  ],
  register(ctx) {
    const c = new Catcher(ctx);
    const state: Running = { catcher: c, smtp: null, refresh: null };
    running.set(ctx, state);
    ctx.pages(pageRoutes(ctx, c));
    ctx.api(mailpitRoutes(ctx, c));
    const pub = mailpitRoutes(ctx, c);
    pub.route("/", publicShareRoutes(ctx, c));
    ctx.publicRoutes(pub);
    declareOperations(ctx, c);
    declareMessageOperations(ctx, c);
    const service: MailCatcherService = {
      async mailboxFor(instanceId, dbName) {
        const box = await c.mailboxes.ensure(instanceId, dbName);
        return {
          mailbox: box.id,
          host: ctx.config.smtpHost,
          port: state.smtp?.port ?? ctx.config.smtpPort,
          user: box.smtpUser,
          password: await c.mailboxes.password(box),
        };
      },
      drop: (mailbox) => c.dropMailbox(mailbox),
      async dropFor(instanceId, dbName) {
        const box = c.mailboxes.find(instanceId, dbName);
        if (box) await c.dropMailbox(box.id);
        return !!box;
      },
      waitFor: (q) => c.waitFor(q),
    };
    ctx.services.provide(MAIL_CATCHER_SERVICE, service);
    ctx.events.on("database.neutralized", async (e) => {
      await c.mailboxes.ensure(e.instanceId, e.dbName);
    });
    ctx.events.on("database.dropped", async (e) => {
      const box = c.mailboxes.find(e.instanceId, e.dbName);
      if (box) await c.dropMailbox(box.id);
    });
    ctx.jobs.define("retention", {
      title: "Mail retention",
      description: "Removes caught mail past each mailbox's age, count and size limits",
      scope: "global",
      defaultCron: "17 * * * *",
      async handler() {
        let n = 0;
        for (const m of c.mailboxes.list()) n += await c.applyRetention(m.id);
        return `${n} message(s) removed`;
      },
    });
  },
  async start(ctx) {
    const state = running.get(ctx);
    // A CLI command beside the server must not take the server's SMTP port.
    if (!state || ctx.config.mode !== "serve") return;
    await state.catcher.mailboxes.load();
    const tls = await ensureCertificate(join(ctx.dataDir, "mail"), "localhost");
    // SMTP callbacks are synchronous about limits: settings are re-read every few seconds
    let s = await ctx.settings();
    state.refresh = setInterval(() => {
      ctx.settings().then(
        (v) => {
          s = v;
        },
        () => {},
      );
    }, 2000);
    state.refresh.unref?.();
    state.smtp = await startSmtp(state.catcher, {
      host: ctx.config.smtpHost,
      port: ctx.config.smtpPort,
      tls,
      maxBytes: () => s.maxMessageMb * 1024 * 1024,
      perMinute: () => s.floodPerMinute,
    });
    ctx.log.info(`SMTP catcher listening on ${ctx.config.smtpHost}:${state.smtp.port}`);
  },
  /** Nothing of the catcher runs (or logs) once stopped: SMTP closed, timers cleared, passes done. */
  async stop(ctx) {
    const state = running.get(ctx);
    if (!state) return;
    if (state.refresh) clearInterval(state.refresh);
    state.refresh = null;
    // SMTP first: no delivery may schedule a pass after the catcher closed.
    await state.smtp?.close();
    state.smtp = null;
    await state.catcher.close();
  },
});
