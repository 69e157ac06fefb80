import { AppError, type InstanceHandle } from "../../../server/sdk/index.ts";
import type { ModuleChecksum, ModulesService } from "../contract.ts";
import type { ModulesCtx } from "../settings.ts";
import type { ChecksumStore } from "../store/checksum-store.ts";
import { currentChecksums, loadModulesReport, type ModulesReport } from "./load-report.ts";
import { LIVE_STATES, type ModuleStatus } from "./report.ts";

/** The API and the operations refuse a report without modules; the page shows what it has. */
export function requireModules(r: ModulesReport): ModuleStatus[] {
  if (r.modules) return r.modules;
  const e = r.errors.find((x) => x.section !== "addons") ?? r.errors[0];
  throw new AppError((e?.code as any) ?? "E_INTERNAL", e?.message, { hint: e?.hint });
}

/** One instance's report with the plugin's settings. */
export async function reportOf(ctx: ModulesCtx, store: ChecksumStore, inst: InstanceHandle) {
  return loadModulesReport(inst, store, { skipStatic: (await ctx.settings()).checksumSkipStatic });
}

/** Records the files of the live modules (or of `only`) as deployed; returns how many. */
export async function recordDeployed(
  ctx: ModulesCtx,
  store: ChecksumStore,
  inst: InstanceHandle,
  only: string[] | null,
  actor: string,
): Promise<number> {
  const mods = requireModules(await reportOf(ctx, store, inst)).filter(
    (m) => LIVE_STATES.has(m.state) && !m.missing && (!only || only.includes(m.name)),
  );
  const sums = await currentChecksums(inst, mods, { skipStatic: (await ctx.settings()).checksumSkipStatic });
  await store.record(inst.id, sums, actor);
  return sums.length;
}

const toChecksum = (m: ModuleStatus): ModuleChecksum => ({
  name: m.name,
  state: m.state,
  installedVersion: m.installedVersion,
  diskVersion: m.diskVersion,
  checksum: m.checksum,
  recorded: m.recorded
    ? { checksum: m.recorded.checksum, recordedAt: m.recorded.recordedAt, recordedBy: m.recorded.recordedBy }
    : null,
  changed: m.changed,
  needsUpgrade: m.needsUpgrade,
  missing: m.missing,
});

/** The "modules.api" service (see contract.ts). */
export function modulesService(ctx: ModulesCtx, store: ChecksumStore): ModulesService {
  return {
    async checksums(instanceId) {
      const mods = requireModules(await reportOf(ctx, store, await ctx.instances.get(instanceId)));
      return mods.filter((m) => LIVE_STATES.has(m.state)).map(toChecksum);
    },
  };
}
