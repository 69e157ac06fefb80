import { AppError, definePlugin } from "odoodeck/sdk";
import { cliCommands } from "./cli.ts";
import * as m001 from "./migrations/001-snapshots.ts";
import { declareConfigOperations } from "./operations.ts";
import { apiRoutes, pageRoutes } from "./routes.tsx";
import { readAndRecord } from "./service.ts";
import { overviewCard } from "./views/overview-card.tsx";

declare module "../../server/sdk/types.ts" {
  interface EventMap {
    /** The configuration of an instance differs from its last snapshot. Keys only, never values. */
    "config.changed": {
      instanceId: number;
      snapshotId: number;
      changes: Array<{ scope: "conf" | "params"; key: string; status: string }>;
    };
  }
}

export default definePlugin({
  id: "config-diff",
  name: "Configuration",
  version: "1.0.0",
  sdk: "^1",
  description: "odoo.conf and system parameters: explained, checked, compared, tracked over time",
  migrations: { "001-snapshots": m001 },
  nav: [
    { label: "Config", path: "/config", scope: "instance" },
    { label: "Config diff", path: "/", scope: "global" },
  ],
  cli: cliCommands,
  register(ctx) {
    ctx.pages(pageRoutes(ctx));
    ctx.api(apiRoutes(ctx));
    declareConfigOperations(ctx);
    ctx.views.card({ render: overviewCard(ctx) });
    ctx.jobs.define("snapshot", {
      title: "Config snapshot",
      description: "Snapshot odoo.conf and system parameters; records and announces what changed",
      scope: "instance",
      defaultCron: "17 * * * *",
      async handler({ instanceId }) {
        if (instanceId == null) return "no instance";
        const cfg = await readAndRecord(ctx, instanceId, "job");
        if (cfg.confError)
          throw new AppError(cfg.confError.code as "E_CONF_INVALID", cfg.confError.message, {
            hint: cfg.confError.hint,
          });
        const what = cfg.changes ? `${cfg.changes} change(s) recorded` : "no change";
        return cfg.paramsError ? `${what}; parameters unreadable: ${cfg.paramsError.message}` : what;
      },
    });
  },
});
