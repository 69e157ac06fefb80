import { AppError, type InstanceHandle, odoo, toAppError } from "../../../server/sdk/index.ts";
import { ActionStore } from "../store/action-store.ts";
import { backUpFirst, planBackup } from "./backup-first.ts";
import { ChecksumStore } from "../store/checksum-store.ts";
import { readDbModules } from "../report/db-modules.ts";
import { currentChecksums, loadModulesReport } from "../report/load-report.ts";
import { buildOdooCommand, type ModuleAction, parseModuleList } from "./odoo-command.ts";
import { runLogged } from "./run-command.ts";
import type { ModulesCtx } from "../settings.ts";

/** Where a failed action offers its rollback. */
export const actionPath = (instanceId: number, operationId: string) =>
  `/p/modules/i/${instanceId}/modules/actions/${operationId}`;

/**
 * Checks the request against the database, then starts the operation under the instance lock:
 * optionally a backup first (a child operation), then odoo, then the checksums of what it deployed.
 * `backupFirst` undefined means the plugin's default for this instance.
 */
export async function startModuleAction(
  ctx: ModulesCtx,
  inst: InstanceHandle,
  input: { action: ModuleAction; modules: string; actor: string; backupFirst?: boolean },
): Promise<{ id: string; done: Promise<unknown>; backupFirst: boolean }> {
  const modules = parseModuleList(input.modules);
  const settings = await ctx.settings();
  const store = new ChecksumStore(ctx.db);
  const report = await loadModulesReport(inst, store, { skipStatic: settings.checksumSkipStatic });
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
    if (input.action === "install" && installed)
      throw new AppError("E_VALIDATION", `${name} is already installed`, { hint: "Use upgrade instead" });
    if (input.action !== "install" && !installed)
      throw new AppError("E_VALIDATION", `${name} is not installed (state: ${m.state})`);
    if (input.action !== "uninstall" && m.missing)
      throw new AppError("E_VALIDATION", `${name} is missing from every addons path`, {
        hint: "Deploy its code first: Odoo would stop with an error",
      });
  }
  const conn = await inst.connection();
  const plan = await planBackup(ctx, inst, input.backupFirst);
  const exe = await odoo.resolveOdooExecutable(conn, {
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
    action: input.action,
    modules,
    odoo: exe.argv,
    confPath: inst.confPath,
    dbName: report.dbName ?? "",
    container: inst.container,
  });
  const actions = new ActionStore(ctx.db);
  const verb = input.action[0].toUpperCase() + input.action.slice(1);
  // run() needs its own id (the backup's parent); it is known once start() returns.
  let idKnown!: (id: string) => void;
  const ownId = new Promise<string>((resolve) => (idKnown = resolve));
  const op = ctx.operations.start({
    kind: `modules.${input.action}`,
    title: `${verb} ${modules.join(", ")} on ${inst.name}${plan.api ? " (backup first)" : ""}`,
    instanceId: inst.id,
    actor: input.actor,
    lock: true,
    steps: [...(plan.api ? ["back up first"] : []), "run odoo", "record checksums"],
    run: async (op) => {
      const id = await ownId;
      if (plan.skipped) op.log(`No backup first: ${plan.skipped}`);
      const api = plan.api;
      const backup = api
        ? await op.step("back up first", (s) =>
            backUpFirst(api, actions, s, { inst, parentId: id, actor: input.actor, action: input.action }),
          )
        : null;
      let run: { exitCode: number };
      try {
        run = await op.step("run odoo", (s) => {
          s.log(`Odoo: ${exe.note}`);
          return runLogged(conn, cmd.argv, s, cmd.stdin);
        });
      } catch (e) {
        if (!backup) throw e;
        const err = toAppError(e);
        throw new AppError(err.code, err.message, {
          hint: `A backup was taken just before: roll back to ${backup.name} at ${actionPath(inst.id, id)}`,
        });
      }
      if (input.action === "uninstall") return { ...run, modules, backup };
      // What was just deployed becomes the reference for "changed since last recorded": the
      // modules asked for and every module whose state or version odoo changed (dependencies).
      const recorded = await op.step("record checksums", async (s) => {
        const after = await readDbModules((await inst.odoo()).db);
        const changed = after.filter((m) => {
          const before = byName.get(m.name);
          const live = m.state === "installed" || m.state === "to upgrade";
          return (
            live &&
            (modules.includes(m.name) ||
              before?.state !== m.state ||
              (before?.installedVersion ?? null) !== (m.version ?? null))
          );
        });
        const sums = await currentChecksums(
          inst,
          changed.map((m) => byName.get(m.name) ?? { name: m.name, installedVersion: m.version }),
          { skipStatic: settings.checksumSkipStatic },
        );
        await store.record(inst.id, sums, input.actor);
        s.log(`recorded ${sums.length} checksum(s)`);
        return sums.length;
      });
      return { ...run, modules, backup, recorded };
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
    if (plan.skipped) await actions.update(op.id, { backupSkipped: plan.skipped });
  } finally {
    idKnown(op.id);
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
  return { id: op.id, done: op.done, backupFirst: !!plan.api };
}
