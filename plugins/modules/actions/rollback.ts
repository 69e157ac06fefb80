/**
 * One-click rollback of a failed install/upgrade/uninstall to the backup taken just before it:
 * the backup plugin restores it over the instance as its own locking operation (temporary
 * database, verify, swap; the damaged database is kept aside as a rollback copy).
 */
import { AppError, type InstanceHandle } from "../../../server/sdk/index.ts";
import { type ActionRecord, ActionStore, canRollBack } from "../store/action-store.ts";
import { backupApi } from "./backup-api.ts";
import type { ModulesCtx } from "../settings.ts";

/** The record as it stands now: a live operation's status wins over the stored one. */
export function withLive(ctx: ModulesCtx, a: ActionRecord): ActionRecord {
  const live = ctx.operations.get(a.operationId);
  const out = { ...a };
  if (live) {
    out.status = live.status;
    if (live.error) out.error = `${live.error.code}: ${live.error.message}`;
  } else if (a.status === "running") out.status = "interrupted"; // odoodeck stopped meanwhile
  if (a.rollbackOperationId && a.rollbackStatus === "running") {
    const rb = ctx.operations.get(a.rollbackOperationId);
    out.rollbackStatus = rb ? rb.status : "interrupted";
  }
  return out;
}

export async function loadAction(ctx: ModulesCtx, instanceId: number, operationId: string) {
  const a = await new ActionStore(ctx.db).get(operationId);
  if (!a || a.instanceId !== instanceId)
    throw new AppError("E_NOT_FOUND", `No module action ${operationId} on this instance`);
  return withLive(ctx, a);
}

/** Refuses what cannot be rolled back, else starts the restore of the action's backup (its own operation). */
export async function beginRollback(
  ctx: ModulesCtx,
  inst: InstanceHandle,
  a: ActionRecord,
  actor: string,
): Promise<{ operationId: string; backupName: string; done: Promise<unknown> }> {
  if (!canRollBack(a))
    throw a.rollbackStatus === "ok" || a.rollbackStatus === "running"
      ? new AppError("E_CONFLICT", `This ${a.action} was already rolled back by ${a.rollbackBy}`, {
          hint: `See operation ${a.rollbackOperationId}`,
        })
      : new AppError(
          "E_VALIDATION",
          `Nothing to roll back: the ${a.action} is ${a.status}${a.backupName ? "" : " and took no backup"}`,
          {
            hint:
              a.status === "ok"
                ? "Only a failed action offers a rollback; restore a backup from the Backups page if needed"
                : "A rollback needs a backup taken just before the action",
          },
        );
  const api = backupApi(ctx);
  if (!api)
    throw new AppError("E_BACKUP_UNAVAILABLE", "The backup plugin is not enabled: it does the restore", {
      hint: "Enable the “Backup & restore” plugin",
    });
  const r = await api.restore(inst.id, { backupId: a.backupId!, actor, neutralize: false });
  const store = new ActionStore(ctx.db);
  await store.update(a.operationId, {
    rollbackOperationId: r.operationId,
    rollbackStatus: "running",
    rollbackBy: actor,
  });
  const done = r.done.then((out) =>
    store
      .update(a.operationId, { rollbackStatus: out.status, rollbackDb: out.rollbackDb })
      .catch((e) => ctx.log.error("modules: recording the rollback failed", { error: String(e) })),
  );
  return { operationId: r.operationId, backupName: a.backupName!, done };
}
