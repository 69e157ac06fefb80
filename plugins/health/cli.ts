import type { CliCommand, PluginContext } from "../../server/sdk/index.ts";
import type { HealthMonitor } from "./engine/monitor.ts";
import type { HealthSettings } from "./settings.ts";

/** `odoodeck health [--no-run]`: checks every instance now and prints a summary; exit 2 on critical. */
export function healthCli(monitorOf: (ctx: PluginContext<HealthSettings>) => HealthMonitor): CliCommand {
  return {
    name: "health",
    summary: "Check every instance now and print its health",
    usage: "health [--no-run]",
    async run(args, ctx) {
      const mon = monitorOf(ctx as PluginContext<HealthSettings>);
      if (!args.includes("--no-run")) await mon.checkAll();
      const all = await mon.summaries();
      if (!all.length) console.log("No instance.");
      for (const s of all) {
        console.log(`${s.status.toUpperCase().padEnd(8)} ${s.name}  uptime 24h ${s.uptime["24h"] ?? "—"}%`);
        for (const c of s.checks) console.log(`  ${c.shown.status.padEnd(8)} ${c.label}: ${c.shown.message}`);
      }
      return all.some((s) => s.status === "critical") ? 2 : 0;
    },
  };
}
