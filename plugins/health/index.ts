import { definePlugin } from "../../server/sdk/index.ts";
import { healthCli } from "./cli.ts";
import type { NewErrorEvent } from "./checks/errors.ts";
import * as m001 from "./migrations/001-init.ts";
import * as m002 from "./migrations/002-silenced.ts";
import { monitorOf } from "./engine/monitor.ts";
import { declareHealthOperations } from "./operations.ts";
import { healthApi, healthPages } from "./routes.tsx";
import { healthCard } from "./views/card.tsx";
import type { HealthChanged } from "./engine/runner.ts";
import { healthSettings } from "./settings.ts";

declare module "../../server/sdk/types.ts" {
  interface EventMap {
    /** A check's confirmed state changed (after N results in a row), including recovery to ok. */
    "health.changed": HealthChanged;
  }
}

export default definePlugin({
  id: "health",
  name: "Health & alerts",
  version: "1.0.0",
  sdk: "^1",
  description: "Uptime, Odoo-aware checks, alerts on state change and Prometheus metrics",
  migrations: { "001-init": m001, "002-silenced": m002 },
  settings: healthSettings,
  nav: [
    { label: "Health", path: "/", scope: "global" },
    { label: "Health", path: "/", scope: "instance" },
  ],
  cli: [healthCli(monitorOf)],
  register(ctx) {
    const mon = monitorOf(ctx);
    ctx.pages(healthPages(ctx, mon));
    ctx.api(healthApi(ctx, mon));
    declareHealthOperations(ctx, mon);
    ctx.views.card({ order: 10, render: (inst) => healthCard(mon, inst) });
    ctx.jobs.define("check", {
      title: "Health check",
      description: "Run the health checks of an instance",
      scope: "instance",
      defaultCron: "* * * * *",
      async handler({ instanceId }) {
        const results = await mon.checkInstance(await ctx.instances.get(instanceId!));
        const bad = results.filter((r) => r.status !== "ok");
        return `${results.length} checks, ${bad.length} not ok${bad.length ? `: ${bad.map((r) => `${r.check}=${r.status}`).join(", ")}` : ""}`;
      },
    });
    // The logs plugin may emit this; it is not declared here so both plugins can evolve apart.
    const bus = ctx.events as unknown as { on(n: string, h: (e: NewErrorEvent) => void): () => void };
    bus.on("logs.new_error", (e) => mon.signatures.record(e));
  },
  async start(ctx) {
    monitorOf(ctx).startLoop((await ctx.settings()).interval_seconds * 1000);
  },
  async stop(ctx) {
    await monitorOf(ctx).stopLoop();
  },
});
