/**
 * Continuous WAL per instance, wired to odoodeck: enabling (checked first, nothing altered on the
 * user's cluster), one supervised receiver per enabled instance (resumed at start, stopped with
 * odoodeck), base backups, health, and the point-in-time restore. What is enabled is kept as
 * `<data>/pitr/<instance id>/enabled.json` beside the archive it describes.
 */
import { existsSync } from "node:fs";
import { readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AppError, type InstanceHandle, type PluginContext } from "../../../server/sdk/index.ts";
import { parseDestinationIds, resolveDestination } from "../destinations/resolve.ts";
import type { Destination } from "../destinations/types.ts";
import type { PgTarget } from "../restore/restore-pg.ts";
import { targetSide } from "../restore/restore-request.ts";
import { listBaseBackups, takeBaseBackup } from "./base-backup.ts";
import { archiveHealth } from "./health.ts";
import { pruneLocalArchive } from "./local-retention.ts";
import { checkReplication } from "./preflight.ts";
import { repairRewind, type RewindJournal } from "./cluster-rewind.ts";
import { slotName, WalReceiver } from "./receiver.ts";
import { type RecoverySource, recoverySource } from "./ship/recovery-source.ts";
import { ShipLoop, type UnusableDestination } from "./ship/ship-loop.ts";
import { shippingHealth } from "./ship/ship-health.ts";
import { clusterDir, letClusterThrough } from "./tools.ts";

export interface PitrPaths {
  archiveDir: string;
  walDir: string;
  slot: string;
}

export type PitrService = ReturnType<typeof createPitrService>;

export function createPitrService(ctx: PluginContext<any>) {
  const receivers = new Map<number, WalReceiver>();
  const shippers = new Map<number, ShipLoop>();
  const root = () => join(ctx.dataDir, "pitr");
  const paths = (id: number): PitrPaths => {
    const archiveDir = join(root(), String(id));
    return { archiveDir, walDir: join(archiveDir, "wal"), slot: slotName(id) };
  };
  const enabled = (id: number) => existsSync(join(paths(id).archiveDir, "enabled.json"));
  const pgOf = async (inst: InstanceHandle): Promise<PgTarget> => (await targetSide(inst)).pg;

  async function startReceiver(id: number, pg: PgTarget): Promise<void> {
    const p = paths(id);
    let rx = receivers.get(id);
    if (!rx) {
      rx = new WalReceiver({
        pg,
        walDir: p.walDir,
        slot: p.slot,
        onEvent: (e) => ctx.log.warn(`pg_receivewal for instance ${id} stopped (${e.stderr}); retrying`),
      });
      receivers.set(id, rx);
    }
    await rx.start();
    if (!shippers.has(id)) {
      const loop = new ShipLoop({
        instanceId: id,
        archiveDir: p.archiveDir,
        walDir: p.walDir,
        destinations: () => shipDestinations(id, true),
        policy: async () => {
          const s = await ctx.settings();
          return {
            keepBases: Number(s.pitrKeepBases ?? 7),
            partialEveryMs: Number(s.pitrPartialSeconds ?? 60) * 1000,
          };
        },
        log: (line) => ctx.log.info(line),
        warn: (line) => ctx.log.warn(line),
      });
      shippers.set(id, loop);
      loop.start();
    }
  }

  /**
   * The instance's non-local destinations: those its scheduled backups use, else the default
   * ones. The archive is shipped to each (and a recovery may fetch from each).
   */
  async function shipDestinations(id: number): Promise<Destination[]>;
  async function shipDestinations(
    id: number,
    withUnusable: true,
  ): Promise<Array<Destination | UnusableDestination>>;
  async function shipDestinations(id: number, withUnusable = false) {
    const s = await ctx.settings();
    const scheduled = (await ctx.jobs.schedules({ job: "backup.scheduled", instanceId: id }))
      .filter((j) => j.enabled && j.params.destinations)
      .flatMap((j) => parseDestinationIds(j.params.destinations as string | string[]));
    const ids = scheduled.length
      ? [...new Set(scheduled)]
      : parseDestinationIds(String(s.defaultDestinations));
    // One destination that cannot be set up does not stop shipping to the others.
    const out = await Promise.all(
      ids
        .filter((d) => d !== "local")
        .map((d) =>
          resolveDestination(ctx, d, s).catch(
            (e): UnusableDestination => ({ id: d, error: (e as Error).message }),
          ),
        ),
    );
    return withUnusable ? out : out.filter((d): d is Destination => !("error" in d));
  }

  /** Archive health with each destination's shipping backlog; null when not enabled. */
  async function health(inst: InstanceHandle) {
    if (!enabled(inst.id)) return null;
    const p = paths(inst.id);
    const [h, shipping] = await Promise.all([
      archiveHealth({ ...p, pg: await pgOf(inst) }),
      shippingHealth(p.archiveDir, p.walDir),
    ]);
    return { ...h, shipping };
  }

  return {
    paths,
    enabled,
    receiver: (id: number) => receivers.get(id) ?? null,
    shipper: (id: number) => shippers.get(id) ?? null,
    shipDestinations,

    /** Checks replication, starts streaming, takes the first base backup. */
    async enable(inst: InstanceHandle) {
      const pg = await pgOf(inst);
      const info = await checkReplication(pg);
      const p = paths(inst.id);
      await letClusterThrough(ctx.dataDir);
      await clusterDir(root());
      await clusterDir(p.archiveDir);
      await clusterDir(p.walDir);
      await startReceiver(inst.id, pg);
      try {
        await writeFile(
          join(p.archiveDir, "enabled.json"),
          JSON.stringify({ slot: p.slot, systemId: info.systemId, since: new Date().toISOString() }),
        );
        const base = await takeBaseBackup(p.archiveDir, pg);
        void shippers.get(inst.id)?.kick();
        return base;
      } catch (e) {
        // Not left streaming (and retrying) for an archive that has no base backup to start from
        await receivers.get(inst.id)?.stop();
        receivers.delete(inst.id);
        await rm(join(p.archiveDir, "enabled.json"), { force: true });
        throw e;
      }
    },

    async baseBackup(inst: InstanceHandle, signal?: AbortSignal) {
      if (!enabled(inst.id))
        throw new AppError("E_VALIDATION", `Continuous WAL is not enabled for ${inst.name}`);
      const base = await takeBaseBackup(paths(inst.id).archiveDir, await pgOf(inst), { signal });
      void shippers.get(inst.id)?.kick();
      // the new base backup makes the oldest local one (and its WAL) due; a failure here is only logged
      const keep = Number((await ctx.settings()).pitrKeepBases ?? 7);
      await pruneLocalArchive({ ...paths(inst.id), keep })
        .then((r) => {
          if (r.bases.length)
            ctx.log.info(
              `WAL archive of instance ${inst.id}: deleted base backup(s) ${r.bases.join(", ")}, ${r.segments} segment(s)`,
            );
        })
        .catch((e) => ctx.log.warn(`WAL archive retention for instance ${inst.id}: ${(e as Error).message}`));
      return base;
    },

    health,

    /** Where a restore to `at` recovers from: the local archive, else a destination it was shipped to. */
    async recoverySource(inst: InstanceHandle, at: Date): Promise<RecoverySource> {
      return recoverySource({
        instanceId: inst.id,
        instanceName: inst.name,
        local: await health(inst),
        archiveDir: paths(inst.id).archiveDir,
        walDir: paths(inst.id).walDir,
        remotes: () => shipDestinations(inst.id),
        at,
      });
    },

    bases: (id: number) => listBaseBackups(paths(id).archiveDir),

    /** The system identifier of the cluster the archive was streamed from (enabled.json). */
    async systemId(id: number): Promise<string | null> {
      const meta = await readFile(join(paths(id).archiveDir, "enabled.json"), "utf8").catch(() => null);
      return meta ? ((JSON.parse(meta) as { systemId?: string }).systemId ?? null) : null;
    },

    /**
     * Stops streaming and shipping for an instance (its cluster is about to stop for a rewind):
     * pg_receivewal closes its segment cleanly instead of retrying against a stopped server.
     */
    async pause(id: number): Promise<void> {
      await shippers.get(id)?.stop();
      shippers.delete(id);
      await receivers.get(id)?.stop();
      receivers.delete(id);
    },

    /** Streams and ships again after pause() (a rewind that was refused at the swap). */
    async resumeOne(inst: InstanceHandle): Promise<void> {
      await startReceiver(inst.id, await pgOf(inst));
    },

    /**
     * After the cluster was rewound it runs on a new timeline that forks from the archive's past;
     * pg_receivewal would resume after the archive's newest segment, a position the rewound server
     * never had. The archive so far (base backups and WAL, a whole history of the old timeline) is
     * kept as it is in `before-rewind-<stamp>/`, a new one starts: streaming through a new slot (a
     * base backup carries none) and a base backup of the rewound cluster, from which times after
     * the rewind can be restored again. Shipping resumes (the new timeline's files have new names).
     */
    async rewound(inst: InstanceHandle, stamp: string, signal?: AbortSignal) {
      const p = paths(inst.id);
      await this.pause(inst.id);
      const kept = join(p.archiveDir, `before-rewind-${stamp}`);
      await clusterDir(kept);
      for (const part of ["base", "wal"])
        if (existsSync(join(p.archiveDir, part))) await rename(join(p.archiveDir, part), join(kept, part));
      await clusterDir(p.walDir);
      await startReceiver(inst.id, await pgOf(inst));
      // the rewind is over from here: a base backup that fails now is retried as any other (the
      // nightly job), not by moving the new archive aside again at the next start
      await this.journal(inst.id, null);
      const base = await takeBaseBackup(p.archiveDir, await pgOf(inst), { signal });
      void shippers.get(inst.id)?.kick();
      return { base, previousArchive: kept };
    },

    /** The rewind in progress for an instance (rewind.json), written at each stage; null removes it. */
    async journal(id: number, j: RewindJournal | null): Promise<void> {
      const file = join(paths(id).archiveDir, "rewind.json");
      if (!j) return rm(file, { force: true });
      await writeFile(`${file}.next`, JSON.stringify(j));
      await rename(`${file}.next`, file);
    },

    /** Resumes streaming for every enabled instance; one unreachable server does not stop the rest. */
    async resume() {
      const ids = (await readdir(root()).catch(() => [] as string[])).map(Number).filter(Number.isInteger);
      for (const id of ids.filter(enabled)) {
        try {
          const meta = JSON.parse(await readFile(join(paths(id).archiveDir, "enabled.json"), "utf8"));
          if (meta.slot !== slotName(id)) continue;
          // a rewind odoodeck died in: its cluster put back (or kept, once swapped) before streaming
          const text = await readFile(join(paths(id).archiveDir, "rewind.json"), "utf8").catch(() => null);
          if (text) {
            const j = JSON.parse(text) as RewindJournal;
            const inst = await ctx.instances.get(id);
            const t = await targetSide(inst);
            ctx.log.warn(`Instance ${inst.name}: ${await repairRewind(j, t.pg, t.currentDb ?? "postgres")}`);
            if (j.stage === "swapped") {
              // the new archive the rewound cluster needs (its timeline forks from the old one)
              await this.rewound(inst, j.stamp);
              continue;
            }
            await this.journal(id, null);
          }
          await startReceiver(id, await pgOf(await ctx.instances.get(id)));
        } catch (e) {
          ctx.log.warn(`Continuous WAL for instance ${id} could not resume: ${(e as Error).message}`);
        }
      }
    },

    async stopAll() {
      await Promise.all([...shippers.values()].map((s) => s.stop()));
      shippers.clear();
      await Promise.all([...receivers.values()].map((r) => r.stop()));
      receivers.clear();
    },
  };
}
