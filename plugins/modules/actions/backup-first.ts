/**
 * "Back up first": before an install/upgrade/uninstall, a full backup runs as a CHILD of the
 * action's operation (under its instance lock, cancelled with it). If it does not finish, the
 * action stops there: odoo never runs without the safety net the user asked for.
 */
import { AppError, type ErrorCode, type InstanceHandle, type StepApi } from "../../../server/sdk/index.ts";
import type { ActionStore } from "../store/action-store.ts";
import { type BackupApi, backupApi, backupFirstDefault, backupReadiness } from "./backup-api.ts";
import type { ModulesCtx } from "../settings.ts";

export interface BackupPlan {
  /** Set when the action backs up first. */
  api: BackupApi | null;
  /** Why the default asked for a backup but none will be taken. */
  skipped: string | null;
}

const codeOf = (text: string | undefined, fallback: ErrorCode): ErrorCode =>
  (/^(E_[A-Z_]+)\b/.exec(text ?? "")?.[1] as ErrorCode | undefined) ?? fallback;

/**
 * `requested`: the user's choice (true/false), or undefined for the plugin's default. An explicit
 * request that cannot be honoured is refused before anything starts; a default one is skipped and
 * the reason kept with the action.
 */
export async function planBackup(
  ctx: ModulesCtx,
  inst: InstanceHandle,
  requested: boolean | undefined,
): Promise<BackupPlan> {
  if (requested === false) return { api: null, skipped: null };
  const wanted = requested ?? backupFirstDefault((await ctx.settings()).backupFirst, inst);
  if (!wanted) return { api: null, skipped: null };
  const r = await backupReadiness(ctx, inst);
  if (r.ok) return { api: backupApi(ctx), skipped: null };
  if (requested)
    throw new AppError(codeOf(r.code, "E_BACKUP_UNAVAILABLE"), `Cannot back up first: ${r.message}`, {
      hint: r.hint ?? "Fix the backup settings, or untick “back up first”",
    });
  return { api: null, skipped: `${r.code}: ${r.message}` };
}

/** The "back up first" step: starts the child backup, waits for it, refuses to go on unless it is ok. */
export async function backUpFirst(
  api: BackupApi,
  store: ActionStore,
  s: StepApi,
  a: { inst: InstanceHandle; parentId: string; actor: string; action: string },
): Promise<{ backupId: number; name: string; operationId: string }> {
  const notRun = `so the ${a.action} was not run`;
  let b: Awaited<ReturnType<BackupApi["create"]>>;
  try {
    b = await api.create(a.inst.id, {
      scope: "full",
      format: "native",
      actor: a.actor,
      parentId: a.parentId,
    });
  } catch (e) {
    await store.update(a.parentId, { backupStatus: "failed" });
    const err = e as { code?: string; message?: string; hint?: string };
    throw new AppError(
      codeOf(err.code, "E_INTERNAL"),
      `The backup could not start (${err.message}), ${notRun}`,
      {
        hint: err.hint,
      },
    );
  }
  s.log(`backing up ${a.inst.name} to ${b.name} (operation ${b.operationId})`);
  await store.update(a.parentId, {
    backupId: b.backupId,
    backupName: b.name,
    backupOperationId: b.operationId,
    backupStatus: "running",
  });
  const out = await b.done;
  await store.update(a.parentId, { backupStatus: out.status });
  if (out.status === "cancelled") throw new AppError("E_CANCELLED", `The backup was cancelled, ${notRun}`);
  if (out.status !== "ok")
    throw new AppError(
      codeOf(out.error, "E_COMMAND_FAILED"),
      `The backup before the ${a.action} failed, ${notRun}: ${(out.error ?? "see its operation").replace(/^E_[A-Z_]+: /, "")}`,
      {
        hint: `Nothing was changed on ${a.inst.name}; fix the backup (see operation ${b.operationId}) and retry`,
      },
    );
  s.log(`backup ${b.name} finished`);
  return { backupId: b.backupId, name: b.name, operationId: b.operationId };
}
