/**
 * Starting a restore operation, shared by the restore route (a user's request) and the
 * "backup.api" service (e.g. the modules plugin rolling back a failed upgrade): restore into a
 * temporary database, verify, neutralize unless told not to, then publish it under a new name or
 * swap it into the instance, keeping the previous database aside as a rollback copy.
 * Callers check who may do it; this only runs it.
 */
import {
  type AppContext,
  AppError,
  type OperationSnapshot,
  type PluginContext,
} from "../../../server/sdk/index.ts";
import { catcherLink } from "../neutralize/catcher-link.ts";
import type { NeutralizeOptions } from "../neutralize/neutralize.ts";
import { discardTemp, restoreToTemp, type TempCopy } from "./restore.ts";
import { NeutralizeReportStore } from "../neutralize/neutralize-report-store.ts";
import { finishRestore, type RestoreResult } from "./restore-finish.ts";
import { markRestoring } from "./restoring-mark.ts";
import type { TargetSide } from "./restore-request.ts";
import { ScratchClaims } from "./scratch-claims.ts";

export interface RestoreStart {
  /** The target instance, as targetSide() read it. */
  t: TargetSide;
  /** A native folder or Odoo zip on the odoodeck machine. */
  source: string;
  /** null: swap into the instance's own database; else publish under this new name. */
  newDb: string | null;
  neutralize: NeutralizeOptions | false;
  actor: string;
  /** Run as a child of this operation (under its lock). */
  parentId?: string;
}

/** Starts the locking restore operation; `dbName` is the database it publishes. */
export function startRestoreOperation(ctx: PluginContext<any>, r: RestoreStart) {
  const { t, newDb } = r;
  const inst = t.inst;
  const dbName = newDb ?? t.currentDb;
  if (!dbName) throw new AppError("E_CONFIG", `${inst.name} has no db_name to restore into`);
  // the instance shows "restoring" while its own database is replaced (not a new one beside it)
  const what = `restore from ${r.source.split("/").pop()}`;
  const replacing = { instanceId: inst.id, newDb, parentId: r.parentId, what };
  const op = ctx.operations.start({
    kind: "restore",
    title: `Restore into ${inst.name}${newDb ? ` (new database ${newDb})` : ""}`,
    instanceId: inst.id,
    actor: r.actor,
    lock: true,
    ...(r.parentId ? { parentId: r.parentId } : {}),
    steps: ["restore into a temporary database", "neutralize, verify and publish"],
    run: markRestoring(ctx, replacing, async (op) => {
      // claimed, so what a crash leaves behind is known to be ours and swept at the next start
      const release = await new ScratchClaims(ctx.db).claim({
        instanceId: inst.id,
        dbName,
        swapDb: newDb ? null : dbName,
        owner: `restore into ${inst.name}`,
      });
      let clean = false;
      // step results are cloned into the snapshot: keep the live handle (connection) out of them
      let temp: TempCopy | null = null;
      try {
        await op.step("restore into a temporary database", async (s) => {
          temp = await restoreToTemp({
            ...t,
            source: r.source,
            dbName,
            signal: s.signal,
            log: s.log,
            progress: (p) => s.progress({ bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
          });
          return { temporaryDatabase: temp.tempDb, check: temp.check, seconds: temp.seconds };
        });
        const copy = temp!;
        const result = await op.step("neutralize, verify and publish", (s) =>
          finishRestore(copy, {
            neutralize: r.neutralize,
            mail: { link: catcherLink(ctx, inst.id), kind: "restore" },
            log: s.log,
            promote: newDb
              ? { kind: "new", dbName: newDb }
              : { kind: "swap", currentDb: dbName, service: t.service },
          }),
        );
        clean = true;
        await recordReport(ctx, inst.id, op, result);
        // links: the operation page points at what was made and at the next step, a restore test
        const links = [
          { label: `Open ${inst.name}`, href: `/instances/${inst.id}` },
          { label: "Run a restore test", href: `/p/backup/i/${inst.id}/restore-tests` },
        ];
        return { ...result, links };
      } catch (e) {
        if (temp) await discardTemp(temp); // e.g. cancelled between the steps
        throw e;
      } finally {
        await release(clean).catch(() => {});
      }
    }),
  });
  return { op, dbName };
}

/**
 * Keeps the published database's neutralization report. The database is live by now: a store
 * failure is logged on the operation, it does not turn a good restore into a failed one.
 */
export async function recordReport(
  ctx: PluginContext<any>,
  instanceId: number,
  op: { id: string; log(line: string): void },
  result: RestoreResult,
): Promise<void> {
  await new NeutralizeReportStore(ctx.db)
    .record(instanceId, op.id, result)
    .catch((e) => op.log(`Warning: the neutralization report could not be stored: ${e?.message ?? e}`));
}

/**
 * Audits `<action>.start` now (as the request's user, or `{ actor }` for a service call) and
 * `<action>` with its outcome once the operation ends.
 */
export async function auditWhenDone(
  ctx: PluginContext<any>,
  who: AppContext | { actor: string },
  a: {
    actor: string;
    instanceId: number;
    action: string;
    target: string;
    done: Promise<OperationSnapshot>;
    details: Record<string, unknown>;
  },
): Promise<void> {
  const { instanceId, action, target, details } = a;
  await ctx.audit(who, { action: `${action}.start`, target, instanceId, result: "ok", details });
  void a.done.then((snap) =>
    ctx.audit(
      { actor: a.actor },
      {
        action,
        target,
        instanceId,
        result: snap.status === "ok" ? "ok" : "error",
        details: { ...details, operationId: snap.id, error: snap.error?.code },
      },
    ),
  );
}

/**
 * For a restore or copy started by an operation: the executor already audited the call (who,
 * from which surface, with what input); this records `<action>.finished` with the outcome once
 * the operation ends, so the log says whether the data really came back.
 */
export function auditOutcome(
  ctx: PluginContext<any>,
  a: {
    actor: string;
    instanceId: number;
    action: string;
    target: string;
    done: Promise<OperationSnapshot>;
    details: Record<string, unknown>;
  },
): void {
  void a.done.then((snap) =>
    ctx.audit(
      { actor: a.actor },
      {
        action: `${a.action}.finished`,
        target: a.target,
        instanceId: a.instanceId,
        result: snap.status === "ok" ? "ok" : "error",
        details: { ...a.details, operationId: snap.id, error: snap.error?.code },
      },
    ),
  );
}
