/**
 * A backup nobody has restored is a hope, not a backup: `backup.restore_test_stale` fires for an
 * instance that has backups but no passed restore test within the window (setting
 * restoreTestStaleDays, default 8: a weekly test plus a day of slack). Notification rules send it.
 */
import type { PluginContext } from "../../../server/sdk/index.ts";
import type { RestoreTestStore } from "./restore-test-store.ts";
import type { BackupSettings } from "../settings.ts";
import type { BackupStore } from "../store.ts";

export interface RestoreTestStale {
  instanceId: number;
  instanceName: string;
  /** When the last restore test passed; null: never. */
  lastOkAt: string | null;
  windowDays: number;
}

/** Instances with a successful backup older than the window and no passed test inside it. */
export async function staleRestoreTests(
  ctx: PluginContext<BackupSettings>,
  backups: BackupStore,
  tests: RestoreTestStore,
  windowDays: number,
  now: Date,
): Promise<RestoreTestStale[]> {
  const window = windowDays * 86_400_000;
  const out: RestoreTestStale[] = [];
  for (const inst of await ctx.instances.list()) {
    const ok = (await backups.list(inst.id, 10_000)).filter((b) => b.status === "ok");
    // a test needs a backup, and a new instance gets the whole window for its first test
    if (!ok.some((b) => now.getTime() - Date.parse(b.createdAt) > window)) continue;
    const last = await tests.lastOk(inst.id);
    const at = last ? (last.finishedAt ?? last.startedAt) : null;
    if (!at || now.getTime() - Date.parse(at) > window)
      out.push({ instanceId: inst.id, instanceName: inst.name, lastOkAt: at, windowDays });
  }
  return out;
}

export function defineStaleRestoreTestJob(
  ctx: PluginContext<BackupSettings>,
  backups: BackupStore,
  tests: RestoreTestStore,
) {
  ctx.jobs.define("backup.restore-test-stale", {
    title: "Stale restore test check",
    description:
      "Alert (event backup.restore_test_stale) for instances with no passed restore test in the window",
    scope: "global",
    defaultCron: "15 * * * *",
    async handler() {
      const days = (await ctx.settings()).restoreTestStaleDays;
      const stale = await staleRestoreTests(ctx, backups, tests, days, new Date());
      for (const s of stale) ctx.events.emit("backup.restore_test_stale", s);
      return stale.length
        ? `no passed restore test in ${days} days: ${stale.map((s) => s.instanceName).join(", ")}`
        : "every backed-up instance has a recent passed restore test";
    },
  });
}
