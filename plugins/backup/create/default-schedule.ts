/**
 * Production is backed up by default: when an instance is added as production, or marked
 * production later, it gets a daily scheduled backup (pruned by the GFS retention settings)
 * unless it already has one. Removing that schedule is the user's choice and is not undone.
 */
import type { PluginContext } from "../../../server/sdk/index.ts";
import type { BackupSettings } from "../settings.ts";

export const DEFAULT_BACKUP_CRON = "0 2 * * *";

export async function ensureProductionSchedule(ctx: PluginContext<BackupSettings>, instanceId: number) {
  const inst = await ctx.instances.get(instanceId).catch(() => null);
  if (!inst?.production) return null;
  const [existing] = await ctx.jobs.schedules({ job: "backup.scheduled", instanceId });
  if (existing) return existing;
  const s = await ctx.jobs.schedule({
    job: "backup.scheduled",
    instanceId,
    cron: DEFAULT_BACKUP_CRON,
    params: { scope: "full", format: "native", prune: true },
  });
  ctx.log.info(`Scheduled a daily backup of production instance ${inst.name}`);
  return s;
}

export function scheduleProductionByDefault(ctx: PluginContext<BackupSettings>) {
  const run = async (instanceId: number) => {
    await ensureProductionSchedule(ctx, instanceId).catch((e) =>
      ctx.log.warn(`Could not schedule the default backup: ${(e as Error).message}`),
    );
  };
  ctx.events.on("instance.added", ({ instanceId }) => run(instanceId));
  ctx.events.on("instance.updated", async ({ instanceId, productionChanged }) => {
    if (productionChanged) await run(instanceId);
  });
}
