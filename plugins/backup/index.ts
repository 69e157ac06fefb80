import { Hono } from "hono";
import { definePlugin, type Env } from "../../server/sdk/index.ts";
import { createBackupApi } from "./api.ts";
import { backupCli } from "./cli.ts";
import { scheduleProductionByDefault } from "./create/default-schedule.ts";
import { defineBackupJobs, defineRestoreTestJob } from "./create/jobs.ts";
import { defineStaleRestoreTestJob, type RestoreTestStale } from "./restore-tests/restore-test-stale.ts";
import { migrations } from "./migrations/index.ts";
import { registerPitr } from "./pitr/register.tsx";
import { pitrPages } from "./pitr/page/routes.tsx";
import type { PitrService } from "./pitr/service.ts";
import { declareBackupOperations } from "./ops/backup-ops.ts";
import { backupRoutes } from "./http/routes.tsx";
import { NeutralizeReportStore } from "./neutralize/neutralize-report-store.ts";
import { neutralizeRoutes } from "./http/routes-neutralize.tsx";
import { restoreRoutes } from "./http/routes-restore.tsx";
import { RestoreTestStore } from "./restore-tests/restore-test-store.ts";
import { createRestoreTests, type RestoreTestEvent } from "./restore-tests/restore-tests.ts";
import { restoreTestRoutes } from "./http/restore-tests-routes.tsx";
import { uploadDir } from "./http/access.ts";
import { recoverInterruptedBackups } from "./create/interrupted.ts";
import { sweepAfterRestart } from "./restore/scratch-sweep.ts";
import { createNeutralizeService, NEUTRALIZE_SERVICE } from "./neutralize/neutralize-service.ts";
import { createBackupService } from "./service.ts";
import { settings } from "./settings.ts";
import { BackupStore } from "./store.ts";
import { keepSweepingUploads } from "./copies/uploads.ts";
import { BackupCard } from "./views/card.tsx";
import { OperationNeutralizeReport } from "./views/neutralize-report-view.tsx";

declare module "../../server/sdk/types.ts" {
  interface EventMap {
    "backup.finished": { instanceId: number; backupId: number; status: string; name: string };
    "backup.overdue": {
      instanceId: number;
      instanceName: string;
      lastVerifiedAt: string | null;
      windowHours: number;
    };
    "backup.pruned": { instanceId: number; destination: string; name: string; reason: string };
    /** A restore test ended; `status` "ok" | "failed" | "cancelled" (notification rules match it). */
    "backup.restore_test": RestoreTestEvent;
    /** An instance with backups has no passed restore test within restoreTestStaleDays. */
    "backup.restore_test_stale": RestoreTestStale;
  }
}

/** The start-up sweep of each running core (tests run several in one process), stopped with it. */
const sweeps = new WeakMap<
  object,
  { abort: AbortController; done: Promise<void>; stopUploads: () => void }
>();

/** Continuous WAL of each core: its receivers resume at start and stop with it. */
const pitrOf = new WeakMap<object, PitrService>();

export default definePlugin({
  id: "backup",
  name: "Backup & restore",
  version: "1.0.0",
  sdk: "^1",
  description: "Streaming, checksummed backups (native and Odoo zip) to local, server and S3 destinations",
  migrations,
  settings,
  nav: [
    { label: "Backups", path: "/backups", scope: "instance" },
    { label: "Restore", path: "/restore", scope: "instance" },
    { label: "Restore tests", path: "/restore-tests", scope: "instance" },
  ],
  cli: backupCli,
  register(ctx) {
    const svc = createBackupService(ctx);
    const mine = backupRoutes(ctx, svc);
    const restore = restoreRoutes(ctx);
    const restoreTests = createRestoreTests(ctx, svc.store);
    const rt = restoreTestRoutes(ctx, restoreTests);
    const reports = new NeutralizeReportStore(ctx.db);
    const nr = neutralizeRoutes(ctx, reports);
    const pitr = registerPitr(ctx, svc);
    pitrOf.set(ctx, pitr);
    const pages = new Hono<Env>()
      .route("/", mine.pages)
      .route("/", restore.pages)
      .route("/", rt.pages)
      .route("/", nr.pages)
      .route("/", pitrPages(ctx, pitr));
    const api = new Hono<Env>()
      .route("/", mine.api)
      .route("/", restore.api)
      .route("/", rt.api)
      .route("/", nr.api);
    ctx.pages(pages);
    ctx.api(api);
    defineBackupJobs(ctx, svc);
    scheduleProductionByDefault(ctx);
    ctx.services.provide("backup.api", createBackupApi(ctx, svc));
    defineRestoreTestJob(ctx, restoreTests);
    defineStaleRestoreTestJob(ctx, svc.store, restoreTests.store);
    declareBackupOperations(ctx, svc, restoreTests);
    ctx.services.provide("backup.restoreTests", restoreTests);
    ctx.services.provide(NEUTRALIZE_SERVICE, createNeutralizeService(ctx));
    ctx.services.provide("backup.status", {
      lastBackup: (instanceId: number) => svc.lastBackup(instanceId),
      lastVerifiedBackup: (instanceId: number) => svc.lastVerified(instanceId),
      // Restore tests are recorded by the restore side; it provides "backup.restoreTests" when present.
      lastVerifiedRestore: async (instanceId: number) =>
        (await ctx.services
          .get<{ lastVerifiedRestore(id: number): Promise<unknown> }>("backup.restoreTests")
          ?.lastVerifiedRestore(instanceId)) ?? null,
    });
    for (const kind of ["restore", "copy"])
      ctx.views.operationResult({ kind, render: OperationNeutralizeReport });
    ctx.views.card({
      order: 20,
      render: (inst) => BackupCard({ svc, inst, restoreTests: restoreTests.store, reports }),
    });
  },
  async start(ctx) {
    await new RestoreTestStore(ctx.db).markInterrupted(); // runs a previous process left going
    await recoverInterruptedBackups(ctx, new BackupStore(ctx.db)); // backups a killed odoodeck left
    // Their temporary copies: in the background, so an unreachable server does not hold up start.
    const abort = new AbortController();
    const done = sweepAfterRestart(ctx, abort.signal).catch((e) =>
      ctx.log.warn(`Sweeping leftovers of interrupted runs failed: ${e?.message ?? e}`),
    );
    sweeps.set(ctx, { abort, done, stopUploads: keepSweepingUploads(ctx, uploadDir(ctx.dataDir)) });
    void pitrOf.get(ctx)?.resume(); // in the background: an unreachable server must not hold up start
  },
  async stop(ctx) {
    const s = sweeps.get(ctx);
    s?.abort.abort();
    s?.stopUploads();
    await s?.done;
    await pitrOf.get(ctx)?.stopAll();
  },
});
