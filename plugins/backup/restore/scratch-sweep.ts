/**
 * The leftover sweep. A restore, copy or restore test drops its temporary copy when it ends, but
 * not when odoodeck dies under it (kill -9, power loss) or the server is unreachable just then.
 * The sweep runs at start (only for instances with a claim whose process is gone) and before each
 * restore test on its target. It removes only what a dead claim covers (scratch-claims.ts), and
 * even then keeps a database an instance serves, one somebody is connected to, and the copy a swap
 * was cut halfway through putting in place. What it removed or kept is logged and audited.
 */
import { type InstanceHandle, type PluginContext, toAppError } from "../../../server/sdk/index.ts";
import { catcherLink } from "../neutralize/catcher-link.ts";
import { dropDatabase, maintenanceDb } from "./restore-pg.ts";
import { type TargetSide, targetSide } from "./restore-request.ts";
import { claimCovers, type ScratchClaim, ScratchClaims, tempPrefix } from "./scratch-claims.ts";

export interface SweepResult {
  removed: string[];
  /** Ours, but left in place on purpose; each says why. */
  kept: string[];
  failed: string[];
}

const found = (r: SweepResult) => r.removed.length + r.kept.length + r.failed.length > 0;

/** One line for a log, an operation log or a restore test's report. */
export function describeSweep(r: SweepResult, where: string): string {
  const parts = [
    r.removed.length ? `removed ${r.removed.join(", ")}` : "",
    r.kept.length ? `kept ${r.kept.join("; ")}` : "",
    r.failed.length ? `could not remove (remove by hand) ${r.failed.join("; ")}` : "",
  ];
  return `Leftovers of interrupted runs on ${where}: ${parts.filter(Boolean).join("; ")}`;
}

/** A swap into `c.swapDb` had begun: its database is gone, or a rollback copy from that run exists. */
function swapCut(c: ScratchClaim, dbs: Set<string>, dirs: Set<string>): boolean {
  if (!c.swapDb) return false;
  const rollback = { ...c, prefix: tempPrefix(c.swapDb, "__rollback_") };
  return !dbs.has(c.swapDb) || [...dbs.keys(), ...dirs].some((n) => claimCovers(rollback, n));
}

/**
 * Removes what dead claims made for this instance left on its cluster and filestore root (an
 * instance sharing the cluster is swept on its own turn); `liveDbs` are never touched.
 */
export async function sweepTarget(
  claims: ScratchClaims,
  t: Pick<TargetSide, "conn" | "pg" | "filestoreRoot"> & { instanceId: number },
  liveDbs: Set<string>,
): Promise<SweepResult> {
  const out: SweepResult = { removed: [], kept: [], failed: [] };
  const all = await claims.list();
  const dead = all.filter((c) => !c.alive && c.instanceId === t.instanceId);
  if (!dead.length) return out;
  const m = maintenanceDb(t.conn, t.pg);
  const rows = await m.query<{ datname: string }>("SELECT datname FROM pg_database");
  const dbs = new Set(rows.map((r) => r.datname));
  const entries = await t.conn.list(t.filestoreRoot).catch((e) => {
    if (toAppError(e).code === "E_FILE_NOT_FOUND") return []; // no filestore yet
    throw e;
  });
  const dirs = new Set(entries.map((e) => e.name));
  const names = new Set([...dbs.keys(), ...[...dirs].map((n) => n.replace(/^\.(.+)\.work$/, "$1"))]);
  const unfinished = new Set<number>(); // claims with something kept or not removed
  for (const name of names) {
    const owner = dead.find((c) => claimCovers(c, name));
    if (!owner || all.some((c) => c.alive && claimCovers(c, name)) || liveDbs.has(name)) continue;
    const folders = [name, `.${name}.work`].filter((n) => dirs.has(n)).map((n) => `${t.filestoreRoot}/${n}`);
    // A dead claim's copy is provably ours: sessions still on it are its dead owner's tools (a
    // pg_restore finishing indexes from a file outlives odoodeck), and dropDatabase ends them.
    const keep = swapCut(owner, dbs, dirs)
      ? `${name} (${owner.owner} stopped while swapping it into ${owner.swapDb}: check both by hand)`
      : null;
    if (keep) {
      out.kept.push(keep);
      unfinished.add(owner.id);
      continue;
    }
    try {
      if (dbs.has(name)) {
        await dropDatabase(m, name);
        out.removed.push(`database ${name}`);
      }
      for (const f of folders) {
        await t.conn.remove(f, { recursive: true });
        out.removed.push(`folder ${f}`);
      }
    } catch (e) {
      out.failed.push(`${name} (${toAppError(e).message})`);
      unfinished.add(owner.id);
    }
  }
  await claims.forget(dead.filter((c) => !unfinished.has(c.id)).map((c) => c.id));
  return out;
}

/** Sweeps a target instance; logs and audits (as `actor`) when it found anything. */
export async function sweepInstance(
  ctx: PluginContext<any>,
  side: TargetSide,
  actor: string,
  log: (line: string) => void = () => {},
): Promise<SweepResult> {
  const liveDbs = new Set((await ctx.instances.list()).flatMap((i) => (i.dbName ? [i.dbName] : [])));
  if (side.currentDb) liveDbs.add(side.currentDb);
  const r = await sweepTarget(new ScratchClaims(ctx.db), { ...side, instanceId: side.inst.id }, liveDbs);
  if (!found(r)) return r;
  // a scratch copy neutralized before its run died had a mailbox in the mail catcher: it goes too
  const mail = catcherLink(ctx, side.inst.id);
  for (const what of r.removed)
    if (what.startsWith("database ")) mail.dropped(what.slice("database ".length));
  const line = describeSweep(r, side.inst.name);
  ctx.log.warn(line);
  log(line);
  await ctx.audit(
    { actor },
    {
      action: "backup.leftovers.sweep",
      target: side.inst.name,
      instanceId: side.inst.id,
      result: r.failed.length ? "error" : "ok",
      details: { ...r },
    },
  );
  return r;
}

/** At start: sweeps each instance that has a claim whose process is gone (usually none: no I/O). */
export async function sweepAfterRestart(ctx: PluginContext<any>, signal: AbortSignal): Promise<void> {
  const claims = new ScratchClaims(ctx.db);
  const dead = (await claims.list()).filter((c) => !c.alive);
  for (const id of new Set(dead.map((c) => c.instanceId))) {
    if (signal.aborted) return;
    let inst: InstanceHandle;
    try {
      inst = await ctx.instances.get(id);
    } catch (e) {
      if (toAppError(e).code === "E_NOT_FOUND")
        await claims.forget(dead.filter((c) => c.instanceId === id).map((c) => c.id)); // instance removed
      continue;
    }
    try {
      await sweepInstance(ctx, await targetSide(inst), "system");
    } catch (e) {
      ctx.log.warn(
        `Could not look for leftovers of interrupted runs on ${inst.name}: ${toAppError(e).message}`,
      );
    }
  }
}
