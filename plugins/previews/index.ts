import { definePlugin } from "../../server/sdk/index.ts";
import { migrations } from "./migrations/index.ts";
import { declarePreviewOperations } from "./operations.ts";
import { previewHost } from "./serve/proxy.ts";
import { previewHooks, previewPages } from "./http/routes.tsx";
import { createPreviewsService, type PreviewsService } from "./service.ts";
import { previewSettings } from "./settings.ts";

/** Each running core's service (tests run several in one process). */
const services = new WeakMap<object, { svc: PreviewsService; host: ReturnType<typeof previewHost> }>();

export default definePlugin({
  id: "previews",
  name: "Previews",
  version: "0.1.0",
  sdk: "^2",
  description:
    "Per-branch Odoo previews cloned from neutralized templates, served at <name>.<preview domain>",
  migrations,
  settings: previewSettings,
  capabilities: ["network", "connections", "odoo-database"],
  nav: [{ label: "Previews", path: "/", scope: "global" }],
  register(ctx) {
    const svc = createPreviewsService(ctx);
    const host = previewHost(ctx, svc);
    services.set(ctx, { svc, host });
    ctx.pages(previewPages(ctx, svc));
    ctx.publicRoutes(previewHooks(ctx, svc));
    ctx.vhosts.add(host);
    declarePreviewOperations(ctx, svc);
    // A settings save is audited: the HTTPS listener follows the certificate, port and domain.
    ctx.events.on("audit.recorded", ({ action }) => {
      if (action === "settings.update") void svc.tls.apply();
    });
    ctx.services.provide("previews", svc);
    ctx.jobs.define("expire", {
      title: "Expire previews",
      description: "Destroys previews past their lifetime (promoted ones stay)",
      scope: "global",
      defaultCron: "*/10 * * * *",
      handler: async () => {
        const gone = await svc.expire();
        return gone.length ? `destroyed ${gone.join(", ")}` : "nothing expired";
      },
    });
    ctx.jobs.define("renew-certificates", {
      title: "Renew preview certificates",
      description: "Certificates from the ACME CA are issued again 30 days before they expire",
      scope: "global",
      defaultCron: "17 3 * * *",
      handler: async () => {
        const renewed = await svc.tls.renewDue();
        return renewed.length ? `renewed ${renewed.join(", ")}` : "nothing due";
      },
    });
  },
  async start(ctx) {
    const mine = services.get(ctx);
    await mine?.svc.afterRestart();
    await mine?.host.refresh();
    // Not awaited: the listener opens when odoodeck's own server does, after start().
    void mine?.svc.tls.apply();
    if (!(await ctx.jobs.schedules({ job: "expire" })).length)
      await ctx.jobs.schedule({ job: "expire", cron: "*/10 * * * *" });
    if (!(await ctx.jobs.schedules({ job: "renew-certificates" })).length)
      await ctx.jobs.schedule({ job: "renew-certificates", cron: "17 3 * * *" });
  },
  async stop(ctx) {
    await services.get(ctx)?.svc.shutdown();
  },
});
