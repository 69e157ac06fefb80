/**
 * Scheduled backups with retention, and the overdue alert. Pruning happens only after the new
 * backup is confirmed (published and re-read) at that destination, and only among that
 * destination's copies; the plan never drops the newest verified backup.
 */
import { AppError, type ErrorCode, type PluginContext, toAppError } from "../../../server/sdk/index.ts";
import { resolveDestination } from "../destinations/resolve.ts";
import { collectGarbage } from "../filestore-store/gc.ts";
import type { RestoreTests } from "../restore-tests/restore-tests.ts";
import { planRetention } from "../copies/retention.ts";
import type { BackupService } from "../service.ts";
import type { BackupSettings } from "../settings.ts";
import { type BackupRecord, isVerified } from "../store.ts";

export function defineBackupJobs(ctx: PluginContext<BackupSettings>, svc: BackupService) {
  ctx.jobs.define("backup.scheduled", {
    title: "Scheduled backup",
    description:
      "Back up the instance (params: scope full|db|files, format native|zip, destinations local,s3,server:<id>, prune true|false)",
    scope: "instance",
    defaultCron: "0 2 * * *",
    async handler({ instanceId, params, signal, log }) {
      if (instanceId == null) throw new AppError("E_VALIDATION", "backup.scheduled runs per instance");
      const r = await svc.create(
        instanceId,
        {
          scope: params.scope as string | undefined,
          format: params.format as string | undefined,
          destinations: params.destinations as string | string[] | undefined,
        },
        "scheduler",
      );
      signal.addEventListener("abort", () => ctx.operations.cancel(r.operationId), { once: true });
      const b = await r.done;
      if (b.status !== "ok")
        throw new AppError("E_COMMAND_FAILED", `Backup ${b.name} ${b.status}`, {
          hint: b.error ?? undefined,
        });
      log(`backup ${b.name}: ${b.bytes} bytes at ${b.destinations.map((d) => d.id).join(", ")}`);
      const pruned = params.prune === false || params.prune === "false" ? 0 : await prune(ctx, svc, b, log);
      return `${b.name} (${b.bytes} bytes), pruned ${pruned}`;
    },
  });

  ctx.jobs.define("backup.overdue-check", {
    title: "Overdue backup check",
    description:
      "Alert (event backup.overdue) for instances without a verified backup in the expected window",
    scope: "global",
    defaultCron: "*/30 * * * *",
    async handler() {
      const s = await ctx.settings();
      const late = await overdueInstances(ctx, svc, s.overdueHours, new Date());
      for (const o of late) ctx.events.emit("backup.overdue", o);
      return late.length ? `overdue: ${late.map((o) => o.instanceName).join(", ")}` : "no instance overdue";
    },
  });
}

/**
 * `backup.restore-test`: restore the instance's latest backup into a scratch database on the
 * target (params.target, an instance id; default the instance itself), check it, drop it. The
 * Restore tests page offers the schedule form; the Jobs page lists the same schedule.
 */
export function defineRestoreTestJob(ctx: PluginContext<BackupSettings>, tests: RestoreTests) {
  ctx.jobs.define("restore-test", {
    title: "Restore test",
    description:
      "Restore the latest backup into a scratch database, check it (counts, attachment files, modules) and drop it (params: target <instance id>)",
    scope: "instance",
    defaultCron: "30 3 * * 0",
    async handler({ instanceId, params, signal, log }) {
      if (instanceId == null) throw new AppError("E_VALIDATION", "backup.restore-test runs per instance");
      const target = params.target == null || params.target === "" ? null : Number(params.target);
      const r = await tests.start({ instanceId, targetId: target, actor: "scheduler", trigger: "schedule" });
      signal.addEventListener("abort", () => ctx.operations.cancel(r.operationId), { once: true });
      const t = await r.done;
      for (const c of t.checks) log(`${c.status}\t${c.name}: ${c.message}`);
      if (t.status !== "ok")
        throw new AppError((t.errorCode as ErrorCode | null) ?? "E_INTERNAL", `Restore test ${t.status}`, {
          hint: t.error ?? undefined,
        });
      const passed = t.checks.filter((c) => c.status === "ok").length;
      const skipped = t.checks.filter((c) => c.status === "skipped").length;
      return `${t.backupName} restored in ${t.restoreSeconds} s; ${passed} checks passed, ${skipped} skipped (${t.totalSeconds} s in all)`;
    },
  });
}

/** Instances that have had backups but none verified within the window. */
export async function overdueInstances(
  ctx: PluginContext<BackupSettings>,
  svc: BackupService,
  windowHours: number,
  now: Date,
) {
  const out: {
    instanceId: number;
    instanceName: string;
    lastVerifiedAt: string | null;
    windowHours: number;
  }[] = [];
  for (const inst of await ctx.instances.list()) {
    const all = await svc.store.list(inst.id, 1);
    if (!all.length) continue; // never backed up here: not expected to be
    const last = await svc.lastVerified(inst.id);
    const at = last?.finishedAt ?? last?.createdAt ?? null;
    if (!at || now.getTime() - Date.parse(at) > windowHours * 3600_000)
      out.push({ instanceId: inst.id, instanceName: inst.name, lastVerifiedAt: at, windowHours });
  }
  return out;
}

/** Applies the retention plan at each destination where `fresh` is confirmed. */
export async function prune(
  ctx: PluginContext<BackupSettings>,
  svc: BackupService,
  fresh: BackupRecord,
  log: (l: string) => void,
): Promise<number> {
  const s = await ctx.settings();
  const policy = { daily: s.keepDaily, weekly: s.keepWeekly, monthly: s.keepMonthly, keepMin: 1 };
  let count = 0;
  for (const dest of fresh.destinations.filter((d) => d.status === "ok" && d.verify === "verified")) {
    const here = (await svc.store.list(fresh.instanceId, 10_000)).filter(
      (b) => b.status === "ok" && b.destinations.some((d) => d.id === dest.id && d.status === "ok"),
    );
    const plan = planRetention(here, policy, new Date(), isVerified);
    if (!plan.keep.some((k) => k.item.id === fresh.id)) continue; // never prune in a way that drops the new backup
    const d = await resolveDestination(ctx, dest.id, s);
    for (const { item, reason } of plan.delete) {
      await d.remove(item.name);
      const left = item.destinations.filter((x) => x.id !== dest.id);
      if (left.some((x) => x.status === "ok")) await svc.store.update(item.id, { destinations: left });
      else await svc.store.remove(item.id);
      ctx.events.emit("backup.pruned", {
        instanceId: item.instanceId,
        destination: dest.id,
        name: item.name,
        reason,
      });
      log(`pruned ${item.name} at ${dest.id}: ${reason}`);
      count++;
    }
    // Objects only the pruned backups referenced; a backup writing there now defers it (E_BUSY).
    if (plan.delete.length)
      await collectGarbage(d, log).catch((e) =>
        log(`${dest.id}: objects not collected: ${toAppError(e).message}`),
      );
  }
  return count;
}
