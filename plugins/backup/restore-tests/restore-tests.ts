/**
 * Automatic restore tests: restore an instance's LATEST successful backup into a scratch database
 * (and filestore) on a target instance's server, PostgreSQL cluster and data_dir (default: the
 * instance itself), neutralize it, check it, and ALWAYS drop it, then record each check's outcome
 * and emit `backup.restore_test` (status "ok" / "failed" / "cancelled") for notification rules.
 *
 * Locking: a restore test only reads the backup and writes a scratch database named
 * `odoodeck_rt_<instance id>__restore_<stamp>` (no live database can be called that) plus its
 * filestore folder. It never touches a live database or filestore, so it takes NO instance lock:
 * backups, restores and upgrades of the instance or of the target are not blocked by it and do
 * not block it. One restore test per instance at a time (E_BUSY), so two never compete.
 */
import { AppError, type PluginContext } from "../../../server/sdk/index.ts";
import { type RestoreTestRecord, RestoreTestStore } from "./restore-test-store.ts";
import { runRestoreTest, STEPS } from "./restore-test-run.ts";
import type { BackupSettings } from "../settings.ts";
import type { BackupStore } from "../store.ts";

export { RESTORE_TEST_EVENT, type RestoreTestEvent, scratchBase } from "./restore-test-run.ts";
export { latestRestorable } from "./restore-test-pick.ts";

/** What the health plugin (through backup.status) and the card read. */
export interface VerifiedRestore {
  at: string;
  verifiedAt: string;
  testId: number;
  backupId: number | null;
  backupName: string | null;
  /** Time the restore itself took. */
  seconds: number | null;
  totalSeconds: number | null;
  /** Measured: restore + boot until Odoo answered; null when Odoo was not booted. */
  rtoSeconds: number | null;
  /** The data the backup missed when it was tested: test time − backup time. */
  rpoSeconds: number | null;
  targetInstanceId: number;
}

export function createRestoreTests(ctx: PluginContext<BackupSettings>, backups: BackupStore) {
  const store = new RestoreTestStore(ctx.db);
  const active = new Set<number>();
  /** Running tests' `done`, by test id: a caller that only has the id (an operation's answer) waits on it. */
  const finishing = new Map<number, Promise<RestoreTestRecord>>();

  return {
    store,
    /**
     * Starts a restore test as an operation (kind "backup.restore-test", no lock: see above).
     * Resolves once it is recorded; `done` resolves with the finished record.
     */
    async start(req: {
      instanceId: number;
      targetId?: number | null;
      actor: string;
      trigger: RestoreTestRecord["trigger"];
    }) {
      const inst = await ctx.instances.get(req.instanceId);
      const target = req.targetId && req.targetId !== inst.id ? await ctx.instances.get(req.targetId) : inst;
      if (active.has(inst.id) || (await store.running(inst.id)))
        throw new AppError("E_BUSY", `A restore test of ${inst.name} is already running`, {
          hint: "Wait for it to finish; its progress is on the Operations page",
        });
      active.add(inst.id);
      try {
        const testId = await store.insert({
          instanceId: inst.id,
          targetInstanceId: target.id,
          actor: req.actor,
          trigger: req.trigger,
        });
        const op = ctx.operations.start({
          kind: "backup.restore-test",
          title: `Restore test of ${inst.name}${target.id === inst.id ? "" : ` on ${target.name}`}`,
          instanceId: inst.id,
          actor: req.actor,
          steps: Object.values(STEPS),
          run: (o) => runRestoreTest({ ctx, backups, store }, o, testId, inst, target),
        });
        await store.update(testId, { operationId: op.id });
        const done = op.done.then(async (snap) => {
          active.delete(inst.id);
          const rec = (await store.get(testId))!;
          if (rec.status === "running")
            // the operation ended before run() could record anything (e.g. it could not start)
            await store.update(testId, {
              status: snap.status === "cancelled" ? "cancelled" : "failed",
              errorCode: snap.error?.code ?? "E_INTERNAL",
              error: snap.error?.message ?? "The restore test ended unexpectedly",
              finishedAt: new Date().toISOString(),
            });
          return (await store.get(testId))!;
        });
        finishing.set(testId, done);
        void done.finally(() => finishing.delete(testId)).catch(() => {});
        return { testId, operationId: op.id, done };
      } catch (e) {
        active.delete(inst.id);
        throw e;
      }
    },
    /** The record once the test ends (at once when it already has). */
    async finished(testId: number): Promise<RestoreTestRecord | null> {
      return (await finishing.get(testId)) ?? store.get(testId);
    },
    /** The newest passed restore test, in the shape the health plugin reads (`at`). */
    async lastVerifiedRestore(instanceId: number): Promise<VerifiedRestore | null> {
      const r = await store.lastOk(instanceId);
      if (!r) return null;
      const at = r.finishedAt ?? r.startedAt;
      return {
        at,
        verifiedAt: at,
        testId: r.id,
        backupId: r.backupId,
        backupName: r.backupName,
        seconds: r.restoreSeconds,
        totalSeconds: r.totalSeconds,
        rtoSeconds: r.rtoSeconds,
        rpoSeconds: r.rpoSeconds,
        targetInstanceId: r.targetInstanceId,
      };
    },
  };
}

export type RestoreTests = ReturnType<typeof createRestoreTests>;
