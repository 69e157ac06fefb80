/**
 * The health plugin's operations: declared once, served on REST (`POST /api/v1/ops/health.*`),
 * the CLI and MCP by the core's executor (role, instance, input, audit). They use the monitor and
 * store the pages and JSON routes use. Kept in its own file so the plugin's other files stay as
 * they are.
 */
import { AppError, defineOperation, type PluginContext, z } from "../../server/sdk/index.ts";
import { parseWindow } from "./maintenance.ts";
import type { HealthMonitor } from "./engine/monitor.ts";
import type { HealthSettings } from "./settings.ts";

type Ctx = PluginContext<HealthSettings>;

function knownCheck(mon: HealthMonitor, check: string): void {
  if (!mon.checks.some((d) => d.id === check))
    throw new AppError("E_NOT_FOUND", `No check named "${check}"`, {
      hint: `Checks: ${mon.checks.map((d) => d.id).join(", ")}`,
    });
}

const limit = z.number().nullable().optional().describe("Empty (null) keeps the check's default");

export function declareHealthOperations(ctx: Ctx, mon: HealthMonitor): void {
  const declare = ctx.operations.declare.bind(ctx.operations);
  declare(
    defineOperation({
      id: "health.status",
      title: "Health of every instance",
      description:
        "Each instance the caller may view: overall status, every check's last result and confirmed state, uptime, the maintenance window in force.",
      input: z.object({}),
      role: "signed-in",
      scope: "global",
      danger: "safe",
      tags: ["health"],
      async run(op) {
        const instances = [];
        for (const s of await mon.summaries()) if (await op.can("viewer", s.id)) instances.push(s);
        return { instances };
      },
    }),
  );
  declare(
    defineOperation({
      id: "health.check-now",
      title: "Run the health checks now",
      description:
        "Runs every check of the instance at once (as the background loop does) and records the results.",
      input: z.object({}),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["health"],
      async run(op) {
        const results = await mon.checkInstance(op.instance!);
        op.audit({ notOk: results.filter((r) => r.status !== "ok").map((r) => r.check) });
        return { results };
      },
    }),
  );
  declare(
    defineOperation({
      id: "health.maintenance.set",
      title: "Plan a maintenance window",
      description: "Between from and to, the instance's failing checks raise no alert (an upgrade, a move).",
      input: z.object({
        from: z.string().min(1).describe("Start, ISO date or YYYY-MM-DDTHH:MM (UTC)"),
        to: z.string().min(1).describe("End, after the start"),
        reason: z.string().min(1).max(200).describe("e.g. Odoo upgrade to 17.0"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["health"],
      async run(op, input) {
        const w = parseWindow(input);
        const id = await mon.store.addMaintenance({ instanceId: op.instance!.id, ...w, createdBy: op.actor });
        op.audit({ target: `window ${id}`, ...w });
        return { id, ...w };
      },
    }),
  );
  declare(
    defineOperation({
      id: "health.maintenance.clear",
      title: "Remove a maintenance window",
      description:
        "Alerts resume at once for the instance (the window's id is in health.status or the Health page).",
      input: z.object({ id: z.number().int().positive().describe("The window's id") }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["health"],
      async run(op, input) {
        op.audit({ target: `window ${input.id}` });
        // Only a window of this instance: an id of another one answers as missing.
        const own = (await mon.store.maintenance(op.instance!.id)).some((w) => w.id === input.id);
        if (!own || !(await mon.store.removeMaintenance(input.id)))
          throw new AppError("E_NOT_FOUND", `No maintenance window ${input.id} on this instance`);
        return { removed: input.id };
      },
    }),
  );
  declare(
    defineOperation({
      id: "health.override.set",
      title: "Set a check's limits for an instance",
      description:
        "Replaces the warning/critical limits of one check on this instance, or turns the check off there.",
      input: z.object({
        check: z.string().min(1).describe("A check id, e.g. disk, http, odoo_memory"),
        warning: limit,
        critical: limit,
        disabled: z.boolean().optional().describe("true turns the check off on this instance"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["health"],
      async run(op, input) {
        knownCheck(mon, input.check);
        const ov = {
          check: input.check,
          warning: input.warning ?? null,
          critical: input.critical ?? null,
          disabled: !!input.disabled,
        };
        await mon.store.setOverride(op.instance!.id, ov);
        op.audit({ target: input.check, ...ov });
        return ov;
      },
    }),
  );
  declare(
    defineOperation({
      id: "health.override.clear",
      title: "Restore a check's default limits",
      description:
        "Drops the instance's override of one check: its default limits apply again, and it runs if it was off.",
      input: z.object({ check: z.string().min(1).describe("A check id, e.g. disk") }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["health"],
      async run(op, input) {
        knownCheck(mon, input.check);
        op.audit({ target: input.check });
        const r = await ctx.db
          .deleteFrom("health_overrides")
          .where("instance_id", "=", op.instance!.id)
          .where("check", "=", input.check)
          .executeTakeFirst();
        return { check: input.check, cleared: Number(r.numDeletedRows ?? 0) > 0 };
      },
    }),
  );
}
