/** The database plugin's operations (declared once: REST, CLI, MCP through the core's executor). */
import { defineOperation, type InstanceHandle, z } from "../../server/sdk/index.ts";
import { checkRollbackName, dropRollbackCopy } from "./maintenance.ts";
import type { DatabaseCtx } from "./settings.ts";

/**
 * Starts dropping one rollback copy (database and the filestore kept beside it) as a locking
 * operation; resolves once it holds the instance (E_BUSY while a restore or upgrade runs).
 */
export async function startDropRollback(ctx: DatabaseCtx, inst: InstanceHandle, name: string, actor: string) {
  const { db, settings } = await inst.odoo();
  checkRollbackName(db.database, name);
  const op = ctx.operations.start({
    kind: "database.drop_rollback",
    title: `Drop rollback copy ${name} of ${inst.name}`,
    instanceId: inst.id,
    actor,
    lock: true,
    steps: ["drop"],
    run: (o) => o.step("drop", (s) => dropRollbackCopy(db, name, `${settings.dataDir}/filestore`, s.log)),
  });
  await op.started;
  return op;
}

export function declareDatabaseOperations(ctx: DatabaseCtx): void {
  ctx.operations.declare(
    defineOperation({
      id: "database.drop-rollback",
      title: "Drop a rollback copy",
      description:
        "Drops a rollback copy a restore kept aside (<db>__rollback_<timestamp>) and its filestore. Cannot be undone.",
      input: z.object({
        name: z.string().min(1).describe("The rollback copy, e.g. acme__rollback_1712345678"),
      }),
      role: "admin",
      scope: "instance",
      lock: "instance",
      danger: "destructive",
      confirmWord: (input) => input.name,
      confirmLabel: "the rollback copy's name",
      longRunning: true,
      tags: ["database", "restore"],
      async run(op, input) {
        const started = await startDropRollback(ctx, op.instance!, input.name, op.actor);
        op.audit({ target: input.name });
        return { operationId: started.id, done: started.done };
      },
    }),
  );
}
