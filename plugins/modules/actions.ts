import { AppError, type InstanceHandle } from "../../server/sdk/index.ts";
import { ChecksumStore } from "./checksum-store.ts";
import { currentChecksums, loadModulesReport } from "./load-report.ts";
import { buildOdooCommand, type ModuleAction, parseModuleList } from "./odoo-command.ts";
import { runLogged } from "./run-command.ts";
import type { ModulesCtx } from "./settings.ts";

/** Checks the request against the database, then starts the operation under the instance lock. */
export async function startModuleAction(
  ctx: ModulesCtx,
  inst: InstanceHandle,
  input: { action: ModuleAction; modules: string; actor: string },
): Promise<{ id: string; done: Promise<unknown> }> {
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
  const cmd = buildOdooCommand({
    action: input.action,
    modules,
    odooBin: inst.container ? settings.containerOdooBin : settings.odooBin,
    confPath: inst.confPath,
    dbName: report.dbName ?? "",
    container: inst.container,
  });
  const conn = await inst.connection();
  const verb = input.action[0].toUpperCase() + input.action.slice(1);
  return ctx.operations.start({
    kind: `modules.${input.action}`,
    title: `${verb} ${modules.join(", ")} on ${inst.name}`,
    instanceId: inst.id,
    actor: input.actor,
    lock: true,
    steps: ["run odoo", "record checksums"],
    run: async (op) => {
      const run = await op.step("run odoo", (s) => runLogged(conn, cmd.argv, s, cmd.stdin));
      if (input.action === "uninstall") return { ...run, modules };
      // What was just deployed becomes the reference for "changed since last recorded".
      const recorded = await op.step("record checksums", async (s) => {
        const sums = await currentChecksums(
          inst,
          modules.map((n) => byName.get(n)!),
          {
            skipStatic: settings.checksumSkipStatic,
          },
        );
        await store.record(inst.id, sums, input.actor);
        s.log(`recorded ${sums.length} checksum(s)`);
        return sums.length;
      });
      return { ...run, modules, recorded };
    },
  });
}
