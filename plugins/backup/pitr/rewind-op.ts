/**
 * The operation that rewinds an instance's whole cluster to a point in time (cluster-rewind.ts
 * says when that is allowed and how the swap is made safe): recover beside the live cluster while
 * it keeps serving, check the recovered copy, swap it in with the filestore, then start a new WAL
 * archive on the rewound cluster's timeline (service.rewound).
 *
 * The filestore: Odoo never changes a filestore file (its name is its SHA-1) and only its garbage
 * collector deletes unreferenced ones, so the files the database references at T are those of the
 * newest filestore backup not after T plus those added since — the live filestore has the latter.
 * The filestore put in place is both (the live files hard-linked, not copied); the live folder is
 * renamed aside as a rollback copy, as every swap does.
 */
import { join } from "node:path";
import { AppError, type PluginContext } from "../../../server/sdk/index.ts";
import { chownTree } from "../restore/restore-files.ts";
import { compactStamp, runTool } from "../restore/restore-pg.ts";
import { markRestoring } from "../restore/restoring-mark.ts";
import { ScratchClaims } from "../restore/scratch-claims.ts";
import type { SwapResult } from "../restore/swap.ts";
import { swapIntoInstance } from "../restore/swap.ts";
import { inspectLiveCluster, type LiveCluster, removeLeftScratch, swapClusterIn } from "./cluster-rewind.ts";
import { FilesBeside, type PitrRestoreRequest, recoverWithFiles } from "./restore-op.ts";
import { pickFilestore } from "./filestore-as-of.ts";
import type { ScratchCluster } from "./recover.ts";
import type { PitrService } from "./service.ts";

export type RewindRequest = Omit<PitrRestoreRequest, "newDb" | "neutralize">;

/** Checked before the operation starts: a refusal answers the request itself, nothing is created. */
export async function checkRewind(pitr: PitrService, r: RewindRequest): Promise<LiveCluster> {
  const dbName = r.t.currentDb;
  if (!dbName) throw new AppError("E_CONFIG", `${r.t.inst.name} has no db_name to rewind`);
  return inspectLiveCluster({ pg: r.t.pg, dbName, systemId: await pitr.systemId(r.t.inst.id) });
}

export async function startClusterRewind(ctx: PluginContext<any>, pitr: PitrService, r: RewindRequest) {
  const inst = r.t.inst;
  const dbName = r.t.currentDb!;
  const live = await checkRewind(pitr, r);
  const source = await pitr.recoverySource(inst, r.at);
  const base = source.base;
  const t0 = performance.now();
  const op = ctx.operations.start({
    kind: "restore",
    title: `Rewind ${inst.name}'s PostgreSQL cluster to ${r.at.toISOString()}`,
    instanceId: inst.id,
    actor: r.actor,
    lock: true,
    steps: [
      "recover the cluster beside the live one",
      "swap the recovered cluster in",
      "start a new WAL archive on the rewound cluster",
    ],
    run: markRestoring(
      ctx,
      { instanceId: inst.id, newDb: null, what: `rewind to ${r.at.toISOString()}` },
      async (op) => {
        const release = await new ScratchClaims(ctx.db).claim({
          instanceId: inst.id,
          dbName,
          swapDb: dbName,
          owner: `cluster rewind of ${inst.name}`,
        });
        const stamp = compactStamp();
        const scratch: { cluster: ScratchCluster | null } = { cluster: null };
        const beside = new FilesBeside(r.t, dbName, pickFilestore(r.backups, r.at));
        let clean = false;
        try {
          const recovered = await op.step("recover the cluster beside the live one", async (s) => {
            for (const n of await removeLeftScratch(live))
              s.log(`Removed ${n}, left by a rewind that did not finish`);
            await pitr.journal(inst.id, { stage: "recovering", stamp, at: r.at.toISOString(), live });
            const c = await recoverWithFiles({
              source,
              beside,
              at: r.at,
              user: r.t.pg.user,
              step: s,
              scratchIn: live.parent,
            });
            scratch.cluster = c;
            const facts = await recoveredFacts(c, dbName);
            s.log(
              `Recovered to ${r.at.toISOString()}: ${dbName} has ${facts.modules} installed modules, ${facts.users} users`,
            );
            await c.stop(); // a clean shutdown: the swapped-in cluster starts without recovery
            return {
              baseBackup: base.name,
              from: source.from,
              recoverySeconds: c.unpackSeconds + c.replaySeconds,
              ...facts,
            };
          });
          const files = await op.step("swap the recovered cluster in", async (s) => {
            const fs: { swap: SwapResult | null } = { swap: null };
            const c = scratch.cluster!;
            const swapped = await swapClusterIn({
              live,
              recovered: c.dataDir,
              discardAs: join(c.dataDir, "..", "failed-data"),
              stamp,
              pg: r.t.pg,
              dbName,
              conn: r.t.conn,
              service: r.t.service,
              log: s.log,
              beforeStop: () => pitr.pause(inst.id),
              journal: (stage) => pitr.journal(inst.id, { stage, stamp, at: r.at.toISOString(), live }),
              whileStopped: async () => {
                fs.swap = await swapFilestore(r.t, dbName, beside, s.log);
              },
            });
            return { ...swapped, rollbackFilestore: fs.swap?.rollbackFilestore ?? null };
          });
          const liveAfterSeconds = (performance.now() - t0) / 1000;
          clean = true;
          const archive = await op.step("start a new WAL archive on the rewound cluster", async (s) => {
            s.log("The rewound cluster runs on a new timeline: the archive so far is kept, a new one starts");
            const a = await pitr.rewound(inst, stamp, s.signal);
            return { baseBackup: a.base.name, previousArchive: a.previousArchive };
          });
          return {
            rewoundTo: r.at.toISOString(),
            dbName,
            baseBackup: base.name,
            recoverySeconds: recovered.recoverySeconds,
            downtimeSeconds: files.downtimeSeconds,
            liveAfterSeconds,
            keptDataDir: files.keptDataDir,
            rollbackFilestore: files.rollbackFilestore,
            rewoundRollbackCopies: live.rollbacks,
            newArchiveBase: archive.baseBackup,
            previousArchive: archive.previousArchive,
          };
        } catch (e) {
          const stuck = e instanceof AppError && (e.details as { putBackFailed?: boolean })?.putBackFailed;
          if (!clean && !stuck) {
            await pitr.journal(inst.id, null); // nothing to repair: the live cluster is as it was
            // the receiver was paused for the swap: a rewind refused after it streams on as before
            if (pitr.enabled(inst.id) && !pitr.receiver(inst.id)) await pitr.resumeOne(inst).catch(() => {});
          }
          throw e;
        } finally {
          await beside.discard();
          await scratch.cluster?.close();
          await release(clean).catch(() => {});
        }
      },
    ),
  });
  return { op, dbName };
}

/** What the recovered database holds, said before the swap (and proof it is an Odoo database). */
async function recoveredFacts(c: ScratchCluster, dbName: string) {
  const out = await c
    .psql(
      dbName,
      `SELECT (SELECT count(*) FROM ir_module_module WHERE state = 'installed'),
              (SELECT count(*) FROM res_users)`,
    )
    .catch((e) => {
      throw new AppError(
        "E_NOT_ODOO",
        `The recovered ${dbName} is not an Odoo database: ${(e as Error).message}`,
      );
    });
  const [modules = "0", users = "0"] = out.trim().split("|");
  return { modules: Number(modules), users: Number(users) };
}

/** The filestore as of T (see the header) swapped in place of the live one, which is kept aside. */
async function swapFilestore(
  t: RewindRequest["t"],
  dbName: string,
  beside: FilesBeside,
  log: (line: string) => void,
): Promise<SwapResult | null> {
  const liveFs = `${t.filestoreRoot}/${dbName}`;
  const hasLive = !!(await t.conn.stat(liveFs));
  if (!beside.pick && !hasLive) return null;
  const dir = (await beside.ready(log, true))!;
  try {
    if (hasLive) {
      log("Adding the live filestore's files the backup does not have (hard links)");
      await runTool(t.conn, ["cp", "-R", "-l", "-n", "--", `${liveFs}/.`, `${dir}/`], { what: "cp -Rln" });
    }
    if (beside.owner) await chownTree(t.conn, dir, beside.owner);
  } catch (e) {
    await t.conn.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
  return swapIntoInstance({
    conn: t.conn,
    pg: t.pg,
    filestoreRoot: t.filestoreRoot,
    currentDb: dbName,
    tempDb: null,
    tempFilestore: dir,
    service: null,
    log,
  });
}
