/**
 * Restore ONE database to a point in time: recover a scratch cluster to T (recover.ts), stream the
 * database out of it into today's safe path (stream-dump.ts: pg_dump piped into the target's
 * pg_restore, no dump file) — temporary database, checks, the filestore as of the newest
 * filestore backup not after T, neutralization, swap or new database. Nothing live is touched
 * before the swap; the scratch cluster is removed whatever happens.
 */
import { AppError, type PluginContext } from "../../../server/sdk/index.ts";
import type { NeutralizeOptions } from "../neutralize/neutralize.ts";
import { discardTemp, restoreToTemp, type TempCopy } from "../restore/restore.ts";
import { chownTree, serviceOwner } from "../restore/restore-files.ts";
import { finishRestore } from "../restore/restore-finish.ts";
import type { TargetSide } from "../restore/restore-request.ts";
import { recordReport } from "../restore/restore-start.ts";
import { markRestoring } from "../restore/restoring-mark.ts";
import { ScratchClaims } from "../restore/scratch-claims.ts";
import type { BackupRecord } from "../store.ts";
import type { BaseBackup } from "./base-backup.ts";
import { type FilestorePick, pickFilestore, restoreFilestoreAsOf } from "./filestore-as-of.ts";
import { recoverCluster, type ScratchCluster } from "./recover.ts";
import type { PitrService } from "./service.ts";
import { streamedDump } from "./stream-dump.ts";
import { inWords, windowInWords } from "./window-words.ts";

export interface PitrRestoreRequest {
  t: TargetSide;
  at: Date;
  /** null: swap into the instance's own database; else publish under this new name. */
  newDb: string | null;
  neutralize: NeutralizeOptions | false;
  actor: string;
  backups: BackupRecord[];
}

/** The newest base backup that is consistent by T (its end is not after T). */
export function baseFor(bases: BaseBackup[], at: Date, lastWalAt: string | null): BaseBackup {
  const window = bases.length
    ? windowInWords({ from: bases[0]!.finishedAt, to: lastWalAt })
    : "none yet (no base backup has finished)";
  const fit = bases.filter((b) => new Date(b.finishedAt).getTime() <= at.getTime()).at(-1);
  if (
    !fit ||
    at.getTime() > Date.now() ||
    (lastWalAt && at.getTime() > new Date(lastWalAt).getTime() + 60_000)
  )
    throw new AppError(
      "E_PITR_WINDOW",
      `${inWords(at.toISOString())} is outside the recoverable window: ${window}`,
      { hint: `Pick a time in the window: ${window}` },
    );
  return fit;
}

export async function startPitrRestore(ctx: PluginContext<any>, pitr: PitrService, r: PitrRestoreRequest) {
  const inst = r.t.inst;
  const dbName = r.newDb ?? r.t.currentDb;
  if (!dbName) throw new AppError("E_CONFIG", `${inst.name} has no db_name to restore into`);
  // The local archive, or a destination it was shipped to when the local one is gone or has a hole.
  const source = await pitr.recoverySource(inst, r.at);
  const base = source.base;
  const sourceDb = r.t.currentDb;
  if (!sourceDb) throw new AppError("E_CONFIG", `${inst.name} has no db_name to recover`);
  const replacing = { instanceId: inst.id, newDb: r.newDb, what: `restore to ${r.at.toISOString()}` };
  const op = ctx.operations.start({
    kind: "restore",
    title: `Restore ${inst.name} to ${r.at.toISOString()}${r.newDb ? ` (new database ${r.newDb})` : ""}`,
    instanceId: inst.id,
    actor: r.actor,
    lock: true,
    steps: [
      "recover to the point in time",
      "restore into a temporary database",
      "neutralize, verify and publish",
    ],
    run: markRestoring(ctx, replacing, async (op) => {
      const release = await new ScratchClaims(ctx.db).claim({
        instanceId: inst.id,
        dbName,
        swapDb: r.newDb ? null : dbName,
        owner: `point-in-time restore into ${inst.name}`,
      });
      // open from the first step to the second (the database streams out of it), closed in finally
      const scratch: { cluster: ScratchCluster | null } = { cluster: null };
      let temp: TempCopy | null = null;
      let clean = false;
      let files: FilestorePick | null = null;
      try {
        await op.step("recover to the point in time", async (s) => {
          const input = await source.prepare({ signal: s.signal, log: s.log });
          try {
            const c = await recoverCluster({
              base: input.base,
              walDir: input.walDir,
              target: r.at,
              user: r.t.pg.user ?? "postgres",
              signal: s.signal,
              log: s.log,
            });
            scratch.cluster = c;
            return {
              baseBackup: base.name,
              from: source.from,
              recoverySeconds: c.unpackSeconds + c.replaySeconds,
            };
          } finally {
            await input.cleanup();
          }
        });
        await op.step("restore into a temporary database", async (s) => {
          s.log(`Recovered; streaming database ${sourceDb} into the target`);
          const streamed = await streamedDump(scratch.cluster!, sourceDb);
          temp = await restoreToTemp({ ...r.t, source: streamed, dbName, signal: s.signal, log: s.log });
          await scratch.cluster!.close(); // streamed and verified: free its memory and disk before the filestore
          files = pickFilestore(r.backups, r.at);
          if (files && temp.tempFilestore) {
            s.log(`Filestore as of ${files.asOf} (backup ${files.backup})`);
            await restoreFilestoreAsOf(r.t.conn, files, temp.tempFilestore, s.signal);
            const owner = await serviceOwner(r.t.conn, r.t.dataDir).catch(() => null);
            await chownTree(r.t.conn, temp.tempFilestore, owner);
          } else s.log("No filestore backup taken before that time: the filestore starts empty");
          return { temporaryDatabase: temp.tempDb, seconds: temp.seconds };
        });
        const copy = temp!;
        const result = await op.step("neutralize, verify and publish", (s) =>
          finishRestore(copy, {
            neutralize: r.neutralize,
            log: s.log,
            promote: r.newDb
              ? { kind: "new", dbName: r.newDb }
              : { kind: "swap", currentDb: dbName, service: r.t.service },
          }),
        );
        clean = true;
        await recordReport(ctx, inst.id, op, result);
        const f = files as FilestorePick | null;
        return {
          ...result,
          recoveredTo: r.at.toISOString(),
          baseBackup: base.name,
          filestore: f
            ? `filestore as of ${f.asOf} (backup ${f.backup})`
            : "filestore empty: no filestore backup before that time",
        };
      } catch (e) {
        if (temp) await discardTemp(temp);
        throw e;
      } finally {
        await scratch.cluster?.close();
        await release(clean).catch(() => {});
      }
    }),
  });
  return { op, dbName };
}
