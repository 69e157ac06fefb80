/**
 * Install, upgrade, uninstall and rollback as declared operations: long-running, under the
 * instance's lock (taken inside the action's operation). The executor checks the role and the
 * production rule (admin, the instance's name typed back) for all four; uninstall, which deletes
 * the modules' data, needs the typed name on every instance. The page and JSON routes call these
 * same operations, so every surface answers alike.
 */
import { defineOperation, z } from "../../../server/sdk/index.ts";
import { beginRollback, loadAction } from "../actions/rollback.ts";
import type { ModuleAction } from "../actions/odoo-command.ts";
import { startModuleAction } from "../actions/start-action.ts";
import type { ModulesCtx } from "../settings.ts";

const actionInput = z.object({
  modules: z.array(z.string().min(1)).min(1).describe('Module technical names, e.g. ["crm"]'),
  backupFirst: z.boolean().optional().describe("Back up before (default: the plugin's setting)"),
});

const DESCRIPTIONS: Record<ModuleAction, string> = {
  install:
    "Installs modules with odoo-bin -i: backs up first if asked, stops the server, runs odoo-bin alone, starts the server again and smoke-checks it (rolled back to the backup when unhealthy).",
  upgrade:
    "Upgrades modules with odoo-bin -u: backs up first if asked, stops the server, runs odoo-bin alone, starts the server again and smoke-checks it (rolled back to the backup when unhealthy).",
  uninstall:
    "Uninstalls modules (their data is deleted): backs up first if asked, stops the server, runs the uninstall, starts the server again and smoke-checks it.",
};

export function declareActionOperations(ctx: ModulesCtx): void {
  for (const action of ["install", "upgrade", "uninstall"] as const) {
    ctx.operations.declare(
      defineOperation({
        id: `modules.${action}`,
        title: `${action[0].toUpperCase()}${action.slice(1)} modules`,
        description: DESCRIPTIONS[action],
        input: actionInput,
        role: "operator",
        scope: "instance",
        lock: "instance",
        danger: action === "uninstall" ? "destructive" : "mutating",
        guardProduction: true,
        longRunning: true,
        tags: ["modules"],
        async run(op, input) {
          const r = await startModuleAction(ctx, op.instance!, {
            action,
            modules: input.modules,
            actor: op.actor,
            backupFirst: input.backupFirst,
          });
          op.audit({
            target: op.instance!.name,
            modules: input.modules.join(","),
            backupFirst: r.backupFirst,
          });
          return { operationId: r.id, done: r.done };
        },
      }),
    );
  }
  ctx.operations.declare(
    defineOperation({
      id: "modules.rollback",
      title: "Roll back a failed module action",
      description:
        "Restores the backup taken just before a failed install/upgrade/uninstall over the instance; the current database is kept aside.",
      // Nothing is lost (the replaced database is kept), so one click on a test instance; the
      // production rule still applies.
      input: z.object({ action: z.string().min(1).describe("The action's operation id") }),
      role: "operator",
      scope: "instance",
      lock: "instance",
      danger: "mutating",
      guardProduction: true,
      longRunning: true,
      tags: ["modules", "restore"],
      async run(op, input) {
        const a = await loadAction(ctx, op.instance!.id, input.action);
        const r = await beginRollback(ctx, op.instance!, a, op.actor);
        op.audit({ target: op.instance!.name, backup: r.backupName, operationId: r.operationId });
        return { operationId: r.operationId, backupName: r.backupName, done: r.done };
      },
    }),
  );
}
