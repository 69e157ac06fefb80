/** The database plugin's operations (declared once: REST, CLI, MCP through the core's executor). */
import { defineOperation, type InstanceHandle, type odoo, z } from "../../server/sdk/index.ts";
import { cancelQuery, checkRollbackName, dropRollbackCopy } from "./maintenance.ts";
import type { DatabaseCtx } from "./settings.ts";
import { runVacuum, type VacuumTarget, vacuumTarget } from "./vacuum.ts";

/** Starts VACUUM ANALYZE of one checked table as an operation (a big table takes minutes). */
export function startVacuum(
  ctx: DatabaseCtx,
  inst: InstanceHandle,
  db: odoo.OdooDb,
  target: VacuumTarget,
  table: string,
  actor: string,
) {
  return ctx.operations.start({
    kind: "database.vacuum",
    title: `VACUUM ANALYZE ${table} on ${inst.name}`,
    instanceId: inst.id,
    actor,
    steps: ["vacuum analyze"],
    run: (o) => o.step("vacuum analyze", (s) => runVacuum(db, target, s)),
  });
}

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
      id: "database.vacuum",
      title: "Vacuum a table",
      description:
        "VACUUM ANALYZE of one table of the instance's database (reclaims space, refreshes statistics).",
      input: z.object({ table: z.string().min(1).describe("A table of the database, e.g. mail_message") }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      longRunning: true,
      tags: ["database"],
      async run(op, input) {
        const inst = op.instance!;
        const { db } = await inst.odoo();
        const target = await vacuumTarget(db, input.table);
        const started = startVacuum(ctx, inst, db, target, input.table, op.actor);
        op.audit({ target: input.table });
        // A vacuum can wait on a lock for minutes and be cancelled: its end is audited too.
        void started.done.then((snap) =>
          ctx.audit(
            { actor: op.actor },
            {
              action: "database.vacuum",
              target: input.table,
              instanceId: inst.id,
              result: snap.status === "ok" ? "ok" : "error",
              details: {
                operationId: started.id,
                status: snap.status,
                code: snap.error?.code,
                surface: op.surface,
              },
            },
          ),
        );
        return { operationId: started.id, table: input.table, done: started.done };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "database.cancel-query",
      title: "Cancel a running query",
      description:
        "pg_cancel_backend on one query of the instance's database (its pid from the Database page).",
      input: z.object({ pid: z.number().int().positive() }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["database"],
      async run(op, input) {
        op.audit({ target: `pid ${input.pid}` });
        return cancelQuery((await op.instance!.odoo()).db, input.pid);
      },
    }),
  );
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
