import { definePlugin } from "odoodeck/sdk";
import { logsCli } from "./cli.ts";
import { hubOf } from "./follow/follow-hub.ts";
import * as m001 from "./migrations/001-init.ts";
import { logsApi } from "./http/routes-api.ts";
import { logsPages } from "./http/routes-pages.tsx";
import { type NewErrorEvent, scannerOf } from "./search/scanner.ts";
import { declareLogsOperations } from "./operations.ts";
import { logsSettings } from "./settings.ts";
import { LogsCard } from "./views/card.tsx";

declare module "odoodeck/sdk" {
  interface EventMap {
    /** An error signature (logger + first line, numbers blanked) not seen before on this instance. */
    "logs.new_error": NewErrorEvent;
  }
}

export default definePlugin({
  id: "logs",
  name: "Logs",
  version: "1.0.0",
  sdk: "^1",
  description: "Follow, filter and search Odoo logs (files, rotations, journald, docker); new-error alerts",
  migrations: { "001-init": m001 },
  settings: logsSettings,
  nav: [{ label: "Logs", path: "", scope: "instance", order: 20 }],
  cli: logsCli,
  register(ctx) {
    const scanner = scannerOf(ctx);
    ctx.pages(logsPages(ctx, scanner.store));
    ctx.api(logsApi(ctx, scanner.store));
    declareLogsOperations(ctx, scanner.store, scanner);
    ctx.views.card({ order: 30, render: (inst) => LogsCard({ store: scanner.store, inst }) });
    ctx.jobs.define("scan-errors", {
      title: "Log error scan",
      description:
        "Look for error signatures not seen before in an instance's log (announces logs.new_error)",
      scope: "instance",
      defaultCron: "*/5 * * * *",
      async handler({ instanceId, signal }) {
        const r = await scanner.scanInstance(await ctx.instances.get(instanceId!), signal);
        if (r.error) throw new Error(r.error);
        return `${r.errors} errors of ${r.kinds} kinds in ${r.hours} h, ${r.newKinds} new`;
      },
    });
    ctx.events.on("instance.removed", ({ instanceId }) => scanner.store.forgetInstance(instanceId));
  },
  async start(ctx) {
    scannerOf(ctx).startLoop((await ctx.settings()).scan_minutes * 60_000);
  },
  async stop(ctx) {
    hubOf(ctx).stopAll();
    await scannerOf(ctx).stopLoop();
  },
});
