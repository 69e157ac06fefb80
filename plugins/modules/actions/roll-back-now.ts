/**
 * The automatic rollback of an action whose restarted server is unhealthy: the server is stopped,
 * the backup taken just before is restored over the instance (a child of the action, under its
 * lock; the failed database is kept aside), and the server started again on the old database.
 * Recorded on the action like the one-click rollback, so the page offers no second one.
 */
import { AppError, type Runtime, type StepApi } from "../../../server/sdk/index.ts";
import type { ActionRun } from "./action-steps.ts";
import { startServer } from "./server-control.ts";

export async function rollBackNow(
  r: ActionRun,
  s: StepApi,
  rt: Runtime,
  b: { backupId: number; name: string; parentId: string },
): Promise<{ operationId: string; rollbackDb: string | null }> {
  const api = r.backup.api;
  if (!api)
    throw new AppError("E_BACKUP_UNAVAILABLE", "The backup plugin is not enabled: it does the restore");
  s.log(`stopping ${rt.label} to restore ${b.name}`);
  await rt.stop();
  const res = await api.restore(r.inst.id, {
    backupId: b.backupId,
    actor: r.actor,
    parentId: b.parentId,
    neutralize: false,
  });
  s.log(`restoring ${b.name} (operation ${res.operationId})`);
  await r.actions.update(b.parentId, {
    rollbackOperationId: res.operationId,
    rollbackStatus: "running",
    rollbackBy: r.actor,
  });
  const out = await res.done;
  await r.actions.update(b.parentId, { rollbackStatus: out.status, rollbackDb: out.rollbackDb });
  if (out.status !== "ok")
    throw new AppError(
      "E_COMMAND_FAILED",
      `The rollback to ${b.name} failed: ${out.error?.message ?? out.status}`,
      {
        hint: `See operation ${res.operationId}; the server stays stopped`,
      },
    );
  await startServer(s, rt);
  return { operationId: res.operationId, rollbackDb: out.rollbackDb };
}
