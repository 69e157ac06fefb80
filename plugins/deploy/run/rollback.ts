/**
 * Rolling a deploy back puts code and data back together: the old commit checked out, the backup
 * taken before it restored (through the backup plugin, under the deploy's lock), Odoo restarted.
 * Used by a failed deploy's own "rollback" step and by the history's Roll back button.
 */
import { AppError, type InstanceHandle, type StepApi } from "../../../server/sdk/index.ts";
import { git } from "../repos/git.ts";
import type { DeployCtx } from "../settings.ts";
import type { BackupApi } from "./backup-api.ts";

export interface Taken {
  repo: string;
  /** What to go back to. */
  commit: string;
  branch: string | null;
  checkedOut: boolean;
  backupId: number | null;
  /** odoo-bin -i/-u ran (or may have): the database needs the backup back. */
  dataTouched: boolean;
}

export async function checkoutOld(
  inst: InstanceHandle,
  t: Pick<Taken, "repo" | "commit" | "branch">,
): Promise<void> {
  const g = git(await inst.connection(), t.repo);
  if (t.branch) await g.run(["checkout", "-q", "-B", t.branch, t.commit]);
  else await g.run(["checkout", "-q", "--detach", t.commit]);
}

export async function restoreData(
  ctx: DeployCtx,
  inst: InstanceHandle,
  backupId: number,
  o: { actor: string; parentId: string; s: StepApi },
): Promise<void> {
  const api = ctx.services.get<BackupApi>("backup.api");
  if (!api)
    throw new AppError("E_BACKUP_UNAVAILABLE", "The backup plugin is not enabled: it restores the data", {
      hint: "Enable the “Backup & restore” plugin, then roll back again",
    });
  const r = await api.restore(inst.id, { backupId, actor: o.actor, parentId: o.parentId, neutralize: false });
  o.s.log(`restoring backup ${backupId} (operation ${r.operationId})`);
  const out = await r.done;
  if (out.status !== "ok")
    throw new AppError(
      "E_COMMAND_FAILED",
      `The restore of the backup ${out.status}: ${out.error?.message ?? ""}`,
      {
        hint: `See operation ${r.operationId}`,
      },
    );
  o.s.log(`database restored; the one it replaced is kept as ${out.rollbackDb ?? "nothing"}`);
}

/** The automatic rollback of a failed deploy: old commit, then data, then Odoo again. */
export async function restoreCode(
  ctx: DeployCtx,
  inst: InstanceHandle,
  t: Taken,
  o: { actor: string; parentId: string; s: StepApi },
): Promise<void> {
  await checkoutOld(inst, t);
  o.s.log(`${t.repo} back at ${t.commit}`);
  const rt = await ctx.runtimes.for(inst);
  ctx.runtimes.mark(inst.id, "restoring", "deploy rollback");
  try {
    if (t.dataTouched && t.backupId) {
      await rt.stop();
      await restoreData(ctx, inst, t.backupId, o);
    } else if (t.dataTouched)
      o.s.log("no backup was taken before the deploy: the database stays as the upgrade left it");
    await rt.restart();
  } finally {
    ctx.runtimes.mark(inst.id, null);
  }
  const ready = await rt.waitReady({ signal: o.s.signal });
  o.s.log(`Odoo answers again after ${ready.readyMs} ms`);
}
