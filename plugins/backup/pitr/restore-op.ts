/**
 * Restore ONE database to a point in time: recover a scratch cluster to T (recover.ts), stream the
 * database out of it into today's safe path (stream-dump.ts: pg_dump piped into the target's
 * pg_restore, no dump file) — temporary database, checks, the filestore as of the newest
 * filestore backup not after T (rebuilt beside the recovery and the stream), neutralization, swap
 * or new database. Nothing live is touched before the swap; the scratch cluster is removed
 * whatever happens.
 */
import { AppError, type PluginContext } from "../../../server/sdk/index.ts";
import type { NeutralizeOptions } from "../neutralize/neutralize.ts";
import { discardTemp, restoreToTemp, type TempCopy } from "../restore/restore.ts";
import { chownTree, serviceOwner } from "../restore/restore-files.ts";
import { finishRestore } from "../restore/restore-finish.ts";
import type { TargetSide } from "../restore/restore-request.ts";
import { recordReport } from "../restore/restore-start.ts";
import { markRestoring } from "../restore/restoring-mark.ts";
import { compactStamp } from "../restore/restore-pg.ts";
import { ScratchClaims, tempPrefix } from "../restore/scratch-claims.ts";
import type { BackupRecord } from "../store.ts";
import type { BaseBackup } from "./base-backup.ts";
import { type FilestorePick, pickFilestore, restoreFilestoreAsOf } from "./filestore-as-of.ts";
import { type RecoverySource, recoveryTarget } from "./ship/recovery-source.ts";
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
      const files = pickFilestore(r.backups, r.at);
      const beside = new FilesBeside(r.t, dbName, files);
      try {
        await op.step("recover to the point in time", async (s) => {
          const c = await recoverWithFiles({ source, beside, at: r.at, user: r.t.pg.user, step: s });
          scratch.cluster = c;
          return {
            baseBackup: base.name,
            from: source.from,
            recoverySeconds: c.unpackSeconds + c.replaySeconds,
          };
        });
        await op.step("restore into a temporary database", async (s) => {
          s.log(`Recovered; streaming database ${sourceDb} into the target`);
          const streamed = await streamedDump(scratch.cluster!, sourceDb);
          await beside.distinctFromTemp();
          temp = await beside.orItsFailure(
            restoreToTemp({ ...r.t, source: streamed, dbName, signal: beside.signal(s.signal), log: s.log }),
          );
          await scratch.cluster!.close(); // streamed and verified: free its memory and disk
          if (files && temp.tempFilestore) {
            await beside.moveInto(temp.tempFilestore, s.log);
            await chownTree(r.t.conn, temp.tempFilestore, beside.owner);
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
        return {
          ...result,
          recoveredTo: r.at.toISOString(),
          baseBackup: base.name,
          filestore: files
            ? `filestore as of ${files.asOf} (backup ${files.backup})`
            : "filestore empty: no filestore backup before that time",
        };
      } catch (e) {
        if (temp) await discardTemp(temp);
        throw e;
      } finally {
        await beside.discard();
        await scratch.cluster?.close();
        await release(clean).catch(() => {});
      }
    }),
  });
  return { op, dbName };
}

/**
 * The first step of both point-in-time paths: the filestore starts rebuilding beside, the archive
 * is made available on this machine (fetched from a destination if need be), the cluster recovers
 * to T. Its failure, or the filestore's, leaves nothing; after success the caller owns the cluster.
 */
export async function recoverWithFiles(o: {
  source: RecoverySource;
  beside: FilesBeside;
  at: Date;
  user: string | null | undefined;
  step: { signal: AbortSignal; log: (line: string) => void };
  scratchIn?: string;
}): Promise<ScratchCluster> {
  const { beside, step } = o;
  await beside.start(step.log);
  const input = await o.source.prepare({ signal: step.signal, log: step.log });
  try {
    return await beside.orItsFailure(
      recoverCluster({
        base: input.base,
        walDir: input.walDir,
        target: recoveryTarget(o.at, o.source.walEnd),
        user: o.user ?? "postgres",
        signal: beside.signal(step.signal),
        log: step.log,
        scratchIn: o.scratchIn,
      }),
    );
  } finally {
    await input.cleanup();
  }
}

/**
 * The filestore as of T does not depend on the database: it is rebuilt while the cluster recovers
 * and the database streams, in `.<name>.work` under the filestore root (a name the restore's
 * scratch claim covers: the sweep removes it if odoodeck dies), and moved into the temporary
 * copy's folder once that exists. Its failure stops the rest at once and is the error reported.
 */
export class FilesBeside {
  #ac = new AbortController();
  #job: Promise<void> | null = null;
  #failed: { e: unknown } | null = null;
  #dir: string | null = null;
  #stamp = "";
  #t0 = 0;
  owner: { uid: number; gid: number } | null = null;

  constructor(
    readonly t: TargetSide,
    readonly dbName: string,
    readonly pick: FilestorePick | null,
  ) {}

  async start(log: (line: string) => void): Promise<void> {
    if (!this.pick) return;
    const { conn } = this.t;
    this.#stamp = compactStamp();
    this.#dir = `${this.t.filestoreRoot}/.${tempPrefix(this.dbName)}${this.#stamp}.work`;
    this.owner = await serviceOwner(conn, this.t.dataDir).catch(() => null);
    await conn.mkdir(this.#dir, { recursive: true, mode: 0o700 });
    log(`Filestore as of ${this.pick.asOf} (backup ${this.pick.backup}): rebuilt beside the recovery`);
    this.#t0 = performance.now();
    // Hard links only where nothing will chown them: they share the store's inodes.
    const link = conn.kind === "local" && !this.owner;
    this.#job = restoreFilestoreAsOf(conn, this.pick, this.#dir, { signal: this.#ac.signal, link });
    this.#job.catch((e) => {
      this.#failed ??= { e };
      this.#ac.abort();
    });
  }

  /** The step's signal, also aborted when the filestore fails. */
  signal(step: AbortSignal): AbortSignal {
    return AbortSignal.any([step, this.#ac.signal]);
  }

  /** `p`, or the filestore's error when that is what stopped it. */
  async orItsFailure<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (this.#failed) throw this.#failed.e;
      throw e;
    }
  }

  /** The temporary copy's name gets its own stamp: never this folder's `.<name>.work`. */
  async distinctFromTemp(): Promise<void> {
    while (this.#stamp && compactStamp() === this.#stamp) await Bun.sleep(100);
  }

  async moveInto(target: string, log: (line: string) => void): Promise<void> {
    if (!this.#job || !this.#dir) return;
    await this.#job;
    log(`Filestore ready (${((performance.now() - this.#t0) / 1000).toFixed(1)} s after it started)`);
    await this.t.conn.remove(target, { recursive: true }); // the empty folder the copy was given
    await this.t.conn.rename(this.#dir, target);
    this.#dir = null;
  }

  /**
   * The rebuilt folder once complete (null: no filestore backup before T); the caller moves it
   * into place itself, so `discard()` leaves it alone from here on.
   */
  async ready(log: (line: string) => void, orEmpty = false): Promise<string | null> {
    if (orEmpty && !this.pick) {
      // no filestore backup before T: an empty folder under the name the scratch claim covers
      const dir = `${this.t.filestoreRoot}/.${tempPrefix(this.dbName)}${compactStamp()}.work`;
      await this.t.conn.mkdir(dir, { recursive: true, mode: 0o700 });
      this.owner ??= await serviceOwner(this.t.conn, this.t.dataDir).catch(() => null);
      return dir;
    }
    if (!this.#job || !this.#dir) return null;
    await this.#job;
    log(`Filestore ready (${((performance.now() - this.#t0) / 1000).toFixed(1)} s after it started)`);
    const dir = this.#dir;
    this.#dir = null;
    return dir;
  }

  /** After success (nothing left) or failure: stops the job and removes the folder. */
  async discard(): Promise<void> {
    this.#ac.abort();
    await this.#job?.catch(() => {});
    if (this.#dir) await this.t.conn.remove(this.#dir, { recursive: true }).catch(() => {});
    this.#dir = null;
  }
}
