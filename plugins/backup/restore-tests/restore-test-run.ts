/**
 * One restore test, step by step inside its operation: pick the latest backup, fetch it when it
 * has no copy here (a copy found bad is marked so), sweep what interrupted runs left on the target,
 * restore into a scratch database there, neutralize, check, and ALWAYS drop the scratch copy (also
 * after a failure or a cancel); then record and announce the result.
 */
import {
  AppError,
  type InstanceHandle,
  type OperationSpec,
  odoo,
  type PluginContext,
  toAppError,
} from "../../../server/sdk/index.ts";
import { markBadCopy } from "../copies/bad-copy.ts";
import { resolveDestination } from "../destinations/resolve.ts";
import { catcherLink } from "../neutralize/catcher-link.ts";
import { bootCheck } from "./restore-test-boot.ts";
import { discardTemp, restoreToTemp, type TempCopy } from "../restore/restore.ts";
import { databaseExists, maintenanceDb } from "../restore/restore-pg.ts";
import { targetSide } from "../restore/restore-request.ts";
import { localCopy, type StagedBackup, stageBackup } from "../restore/restore-staging.ts";
import {
  attachmentsCheck,
  countsCheck,
  modulesCheck,
  neutralizeCheck,
  odooStartCheck,
} from "./restore-test-checks.ts";
import { latestRestorable, skippedCheck } from "./restore-test-pick.ts";
import type { CheckOutcome, RestoreTestStore } from "./restore-test-store.ts";
import { ScratchClaims } from "../restore/scratch-claims.ts";
import { describeSweep, sweepInstance } from "../restore/scratch-sweep.ts";
import type { BackupSettings } from "../settings.ts";
import type { BackupRecord, BackupStore } from "../store.ts";

export const RESTORE_TEST_EVENT = "backup.restore_test" as const;

export interface RestoreTestEvent {
  instanceId: number;
  instanceName: string;
  testId: number;
  status: "ok" | "failed" | "cancelled";
  title: string;
  summary: string;
  backupName: string | null;
  target: string;
  restoreSeconds: number | null;
  totalSeconds: number;
  failedChecks: string[];
}

export interface RunDeps {
  ctx: PluginContext<BackupSettings>;
  backups: BackupStore;
  store: RestoreTestStore;
}

export const STEPS = {
  pick: "pick the latest backup",
  fetch: "fetch the backup",
  sweep: "remove leftovers of interrupted runs",
  restore: "restore into a scratch database",
  neutralize: "neutralize",
  check: "check",
  drop: "drop the scratch copy",
};

export function scratchBase(instanceId: number): string {
  return `odoodeck_rt_${instanceId}`;
}

/** The error a failed check stands for: data that does not match is a corrupt backup. */
function checksError(failed: CheckOutcome[]): AppError {
  const names = failed.map((c) => c.name);
  const code = names.some((n) => ["fetch", "restore", "counts", "attachments", "modules"].includes(n))
    ? "E_BACKUP_CORRUPT"
    : names.includes("neutralize")
      ? "E_NEUTRALIZE_FAILED"
      : "E_COMMAND_FAILED";
  return new AppError(
    code,
    `Restore test failed: ${failed.map((c) => `${c.name}: ${c.message}`).join(" | ")}`,
    {
      hint: "The scratch copy was dropped; the live database was not touched",
    },
  );
}

const round = (s: number) => Math.round(s * 100) / 100;
const since = (t0: number) => round((performance.now() - t0) / 1000);

export async function runRestoreTest(
  deps: RunDeps,
  o: Parameters<OperationSpec["run"]>[0],
  testId: number,
  inst: InstanceHandle,
  target: InstanceHandle,
) {
  const { ctx, backups, store } = deps;
  const mail = catcherLink(ctx, target.id);
  const t0 = performance.now();
  const checks: CheckOutcome[] = [];
  let backup: BackupRecord | null = null;
  let staged: StagedBackup | null = null;
  let temp: TempCopy | null = null;
  let release: ((clean: boolean) => Promise<void>) | null = null;
  let failure: AppError | null = null;
  let bootSeconds: number | null = null;
  try {
    const s = await ctx.settings();
    const actor = (await store.get(testId))?.actor ?? "system";
    await o.step(STEPS.pick, async (st) => {
      const pick = await latestRestorable(backups, inst.id);
      const skipped = skippedCheck(pick.skipped);
      if (skipped) {
        checks.push(skipped);
        st.log(`Skipped: ${skipped.message}`);
      }
      backup = pick.backup;
      if (!backup)
        throw new AppError(
          "E_NOT_FOUND",
          `${inst.name} has no successful backup with a database to test${skipped ? " that has a good copy" : ""}`,
          { hint: skipped ? skipped.message : "Back the instance up (scope full or db) first" },
        );
      await store.update(testId, { backupId: backup.id, backupName: backup.name });
      return { backup: backup.name, createdAt: backup.createdAt, skipped: pick.skipped.map((b) => b.name) };
    });
    const b = backup as unknown as BackupRecord;
    let source = localCopy(b);
    if (!source) {
      await o.step(STEPS.fetch, async (st) => {
        const f0 = performance.now();
        try {
          staged = await stageBackup(ctx.dataDir, b, (id) => resolveDestination(ctx, id, s), {
            signal: st.signal,
            log: st.log,
            progress: (bytesDone, bytesTotal) => st.progress({ bytesDone, bytesTotal }),
            onBadCopy: markBadCopy(ctx, b, actor),
          });
        } catch (e) {
          const err = toAppError(e);
          if (err.code !== "E_CANCELLED")
            checks.push({
              name: "fetch",
              status: "failed",
              message: `${err.code}: ${err.message}`,
              seconds: since(f0),
            });
          throw err;
        }
        checks.push({
          name: "fetch",
          status: "ok",
          message: `no copy on this machine: fetched from ${staged.from}, every part matches its SHA-256`,
          seconds: since(f0),
        });
        return { from: staged.from };
      });
      source = (staged as unknown as StagedBackup).path;
    }
    const side = await targetSide(target);
    await o.step(STEPS.sweep, async (st) => {
      // housekeeping: a failure here is logged, it does not fail the test
      try {
        const r = await sweepInstance(ctx, side, actor, st.log);
        if (r.removed.length || r.kept.length || r.failed.length)
          checks.push({
            name: "leftovers",
            status: r.failed.length ? "skipped" : "ok",
            message: describeSweep(r, target.name),
          });
        return r;
      } catch (e) {
        st.log(`Could not look for leftovers on ${target.name}: ${toAppError(e).message}`);
        return { error: toAppError(e).code };
      }
    });
    const src = source;
    await o.step(STEPS.restore, async (st) => {
      const r0 = performance.now();
      // claimed, so what a crash leaves behind is known to be ours and swept later
      release = await new ScratchClaims(ctx.db).claim({
        instanceId: target.id,
        dbName: scratchBase(inst.id),
        owner: `restore test #${testId} of ${inst.name}`,
      });
      try {
        temp = await restoreToTemp({
          ...side,
          source: src,
          dbName: scratchBase(inst.id),
          verify: false, // every check is reported on its own below
          signal: st.signal,
          log: st.log,
          progress: (p) => st.progress({ bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
        });
      } catch (e) {
        const err = toAppError(e);
        if (err.code !== "E_CANCELLED")
          checks.push({
            name: "restore",
            status: "failed",
            message: `${err.code}: ${err.message}`,
            seconds: since(r0),
          });
        throw err;
      }
      await store.update(testId, { scratchDb: temp.tempDb, restoreSeconds: round(temp.seconds) });
      checks.push({
        name: "restore",
        status: "ok",
        message: `${b.name} restored into ${temp.tempDb} on ${target.name} in ${temp.seconds.toFixed(1)} s`,
        seconds: round(temp.seconds),
      });
      return { scratchDb: temp.tempDb, seconds: temp.seconds };
    });
    const copy = temp as unknown as TempCopy;
    if (!copy.tempDb) throw new AppError("E_BACKUP_CORRUPT", `${b.name} restored no database`);
    const db = new odoo.OdooDb(side.conn, { ...side.pg, database: copy.tempDb }, { timeoutMs: 600_000 });
    // how Odoo runs on the target: the reference for neutralization and the last check
    const exe = await odoo.resolveOdooExecutable(side.conn, {
      configured: s.restoreTestOdooBin,
      confPath: target.confPath,
      addonsPaths: side.addonsPaths,
      container: target.container,
    });
    const neutral = await o.step(STEPS.neutralize, async () => {
      const c = await neutralizeCheck(side.conn, db, {
        catcher: await mail.open(copy.tempDb!),
        addonsPaths: side.addonsPaths,
        dataDir: side.dataDir,
        odooBin: exe.found && !target.container ? exe.path : null,
        confSmtpServer: side.confSmtpServer,
        reference: exe.found
          ? {
              confPath: target.confPath,
              container: target.container,
              executable: exe,
            }
          : null,
      });
      checks.push(c);
      if (c.status === "ok") mail.neutralized(copy.tempDb!, "restore-test");
      return { status: c.status, message: c.message };
    });
    await o.step(STEPS.check, async (st) => {
      checks.push(await countsCheck(db, b.manifest?.counts));
      const files = b.scope === "db" ? null : (copy.tempFilestore ?? `${side.filestoreRoot}/${copy.tempDb}`);
      checks.push(await attachmentsCheck(side.conn, db, files, st.signal));
      checks.push(await modulesCheck(db, b.manifest?.odoo?.modules));
      checks.push(
        neutral.status === "ok" && exe.found && !target.container
          ? await bootCheck(ctx, side, exe, { db, instanceId: inst.id, signal: st.signal, log: st.log }).then(
              (r) => {
                bootSeconds = r.bootSeconds;
                return r.check;
              },
            )
          : neutral.status === "ok"
            ? await odooStartCheck(side.conn, exe, {
                confPath: target.confPath,
                dbName: copy.tempDb!,
                container: target.container,
                signal: st.signal,
              })
            : {
                name: "odoo",
                status: "skipped",
                message: "skipped: the copy is not neutralized, Odoo is not started on it",
              },
      );
      for (const c of checks)
        st.log(`${c.status === "ok" ? "✓" : c.status === "failed" ? "✗" : "-"} ${c.name}: ${c.message}`);
      return { failed: checks.filter((c) => c.status === "failed").map((c) => c.name) };
    });
  } catch (e) {
    failure = toAppError(e);
  } finally {
    // Always, also after a failure or a cancel: the scratch copy and any staged download go.
    const cleanup = async () => {
      const c0 = performance.now();
      const t = temp as TempCopy | null;
      let clean = false;
      if (t) {
        const scratch = t.tempDb;
        await discardTemp(t);
        // its mailbox in the mail catcher goes with it
        if (scratch) mail.dropped(scratch);
        const left: string[] = [];
        if (t.tempDb && (await databaseExists(maintenanceDb(t.conn, t.pg), t.tempDb).catch(() => true)))
          left.push(`database ${t.tempDb}`);
        if (t.tempFilestore && (await t.conn.stat(t.tempFilestore).catch(() => null)))
          left.push(`folder ${t.tempFilestore}`);
        clean = !left.length;
        checks.push(
          left.length
            ? {
                name: "cleanup",
                status: "failed",
                message: `could not drop the scratch ${left.join(" and ")} on ${target.name}: remove by hand`,
                seconds: since(c0),
              }
            : {
                name: "cleanup",
                status: "ok",
                message: `scratch database ${t.tempDb} and its filestore dropped`,
                seconds: since(c0),
              },
        );
      }
      await (release as ((clean: boolean) => Promise<void>) | null)?.(clean).catch(() => {});
      await (staged as StagedBackup | null)?.release();
      return { dropped: t?.tempDb ?? null };
    };
    if (o.signal.aborted) await cleanup();
    else await o.step(STEPS.drop, cleanup).catch(() => cleanup());
  }
  await recordRecovery(store, testId, temp, backup, bootSeconds);
  return finish(deps, testId, inst, target, backup, temp, checks, failure, o.signal.aborted, since(t0));
}

/**
 * What a real recovery would cost, measured: RTO = restore + boot until Odoo answered; RPO = the
 * data the backup misses, now − the moment it was taken. Only when Odoo did boot on the copy.
 */
async function recordRecovery(
  store: RestoreTestStore,
  testId: number,
  temp: TempCopy | null,
  backup: BackupRecord | null,
  bootSeconds: number | null,
) {
  if (!temp || !backup || bootSeconds === null) return;
  await store.update(testId, {
    rtoSeconds: round(temp.seconds + bootSeconds),
    rpoSeconds: round((Date.now() - Date.parse(backup.createdAt)) / 1000),
  });
}

async function finish(
  { ctx, store }: RunDeps,
  testId: number,
  inst: InstanceHandle,
  target: InstanceHandle,
  backup: BackupRecord | null,
  temp: TempCopy | null,
  checks: CheckOutcome[],
  failure: AppError | null,
  aborted: boolean,
  totalSeconds: number,
) {
  const failed = checks.filter((c) => c.status === "failed");
  const status =
    aborted || failure?.code === "E_CANCELLED" ? "cancelled" : failure || failed.length ? "failed" : "ok";
  const error =
    status === "ok"
      ? null
      : status === "cancelled"
        ? (failure ?? new AppError("E_CANCELLED", "The restore test was cancelled"))
        : (failure ?? checksError(failed));
  await store.update(testId, {
    status,
    errorCode: error?.code ?? null,
    error: error?.message ?? null,
    checks,
    totalSeconds,
    finishedAt: new Date().toISOString(),
  });
  const restoreSeconds = temp ? round((temp as TempCopy).seconds) : null;
  const payload: RestoreTestEvent = {
    instanceId: inst.id,
    instanceName: inst.name,
    testId,
    status,
    title: `Restore test of ${inst.name}`,
    summary:
      status === "ok"
        ? `${backup?.name} restored in ${restoreSeconds} s on ${target.name}, every check passed`
        : (error?.message ?? status),
    backupName: backup?.name ?? null,
    target: target.name,
    restoreSeconds,
    totalSeconds,
    failedChecks: failed.map((c) => c.name),
  };
  ctx.events.emit(RESTORE_TEST_EVENT, payload);
  if (error) throw error;
  return {
    testId,
    status,
    restoreSeconds,
    totalSeconds,
    checks: checks.map((c) => `${c.name}: ${c.status}`),
  };
}
