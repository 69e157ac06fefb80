import { AppError, type InstanceHandle, odoo } from "../../../server/sdk/index.ts";
import { loadModulesReport, type ModulesReport } from "../report/load-report.ts";
import type { ModulesCtx } from "../settings.ts";
import { ActionStore } from "../store/action-store.ts";
import { ChecksumStore } from "../store/checksum-store.ts";
import { type ActionRun, runAction, stepNames } from "./action-steps.ts";
import { planBackup } from "./backup-first.ts";
import { buildOdooCommand, type ModuleAction, parseModuleList } from "./odoo-command.ts";
import { planServer } from "./server-control.ts";

/** Where a failed action offers its rollback. */
export const actionPath = (instanceId: number, operationId: string) =>
  `/p/modules/i/${instanceId}/modules/actions/${operationId}`;

export interface ActionRequest {
  action: ModuleAction;
  modules: string | string[];
  actor: string;
  /** undefined: the plugin's default for this instance. */
  backupFirst?: boolean;
}

/** The modules as the database has them, after checking the request makes sense for each. */
async function checkRequest(report: ModulesReport, action: ModuleAction, modules: string[]) {
  if (!report.modules) {
    const e = report.errors[0];
    throw new AppError((e?.code as any) ?? "E_INTERNAL", e?.message ?? "The modules cannot be read", {
      hint: e?.hint,
    });
  }
  const byName = new Map(report.modules.map((m) => [m.name, m]));
  for (const name of modules) {
    const m = byName.get(name);
    if (!m) throw new AppError("E_NOT_FOUND", `No module "${name}" in ${report.dbName} nor on disk`);
    const installed = m.state === "installed" || m.state === "to upgrade";
    if (action === "install" && installed)
      throw new AppError("E_VALIDATION", `${name} is already installed`, { hint: "Use upgrade instead" });
    if (action !== "install" && !installed)
      throw new AppError("E_VALIDATION", `${name} is not installed (state: ${m.state})`);
    if (action !== "uninstall" && m.missing)
      throw new AppError("E_VALIDATION", `${name} is missing from every addons path`, {
        hint: "Deploy its code first: Odoo would stop with an error",
      });
  }
  return byName;
}

/** How this instance runs Odoo for the action (its odoo-bin, python3 odoo-bin, or docker exec). */
async function resolveCommand(
  ctx: ModulesCtx,
  inst: InstanceHandle,
  action: ModuleAction,
  modules: string[],
  dbName: string,
) {
  const settings = await ctx.settings();
  const exe = await odoo.resolveOdooExecutable(await inst.connection(), {
    configured: settings.odooBin,
    confPath: inst.confPath,
    addonsPaths: (await inst.odoo()).settings.addonsPaths,
    container: inst.container,
    containerExecutable: settings.containerOdooBin,
  });
  if (!exe.found)
    throw new AppError("E_NOT_FOUND", `Cannot run Odoo on ${inst.name}: ${exe.reason}`, {
      hint: `Looked at ${exe.looked.join(", ")}. Set the odoo-bin path in the modules settings`,
    });
  const cmd = buildOdooCommand({
    action,
    modules,
    odoo: exe.argv,
    confPath: inst.confPath,
    dbName,
    container: inst.container,
  });
  return { cmd, note: exe.note };
}

/** Everything the steps need, checked before the operation starts: bad requests start nothing. */
async function prepare(
  ctx: ModulesCtx,
  inst: InstanceHandle,
  input: ActionRequest,
): Promise<Omit<ActionRun, "actionUrl">> {
  const modules = parseModuleList(input.modules);
  const settings = await ctx.settings();
  const checksums = new ChecksumStore(ctx.db);
  const report = await loadModulesReport(inst, checksums, { skipStatic: settings.checksumSkipStatic });
  const before = await checkRequest(report, input.action, modules);
  const conn = await inst.connection();
  const backup = await planBackup(ctx, inst, input.backupFirst);
  const dbName = report.dbName ?? "";
  const { cmd, note } = await resolveCommand(ctx, inst, input.action, modules, dbName);
  return {
    ctx,
    inst,
    conn,
    action: input.action,
    modules,
    actor: input.actor,
    dbName,
    cmd,
    exeNote: note,
    backup,
    server: await planServer(ctx, inst),
    before,
    actions: new ActionStore(ctx.db),
    checksums,
    skipStatic: settings.checksumSkipStatic,
  };
}

/**
 * Checks the request against the database, then starts the action as one operation under the
 * instance lock (see action-steps.ts for its steps). Its row in modules_actions follows it.
 */
export async function startModuleAction(
  ctx: ModulesCtx,
  inst: InstanceHandle,
  input: ActionRequest,
): Promise<{ id: string; done: Promise<unknown>; backupFirst: boolean }> {
  const prepared = await prepare(ctx, inst, input);
  const { modules, backup, actions } = prepared;
  const verb = input.action[0].toUpperCase() + input.action.slice(1);
  // The steps update the action's row: they wait until it is written.
  let rowWritten!: () => void;
  const written = new Promise<void>((resolve) => (rowWritten = resolve));
  const op = ctx.operations.start({
    kind: `modules.${input.action}`,
    title: `${verb} ${modules.join(", ")} on ${inst.name}${backup.api ? " (backup first)" : ""}`,
    instanceId: inst.id,
    actor: input.actor,
    lock: true,
    steps: stepNames(prepared),
    run: async (o) => {
      await written;
      return runAction(o, { ...prepared, actionUrl: actionPath(inst.id, o.id) });
    },
  });
  try {
    await actions.insert({
      operationId: op.id,
      instanceId: inst.id,
      action: input.action,
      modules: modules.join(","),
      actor: input.actor,
    });
    if (backup.skipped) await actions.update(op.id, { backupSkipped: backup.skipped });
  } finally {
    rowWritten();
  }
  void op.done.then((snap) =>
    actions
      .update(op.id, {
        status: snap.status === "running" ? "error" : snap.status,
        finishedAt: snap.finishedAt ?? new Date().toISOString(),
        error: snap.error ? `${snap.error.code}: ${snap.error.message}` : null,
      })
      .catch((e) => ctx.log.error("modules: recording the action's outcome failed", { error: String(e) })),
  );
  return { id: op.id, done: op.done, backupFirst: !!backup.api };
}
