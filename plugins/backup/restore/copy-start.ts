/**
 * Starting a copy of one instance's database and filestore: into another instance (swap, the old
 * database kept as a rollback copy) or into a new database on the target's cluster. Callers check
 * who may do it (ops/restore-ops.ts); this only runs it, under the target's lock.
 */
import { AppError, type InstanceHandle, type PluginContext } from "../../../server/sdk/index.ts";
import { catcherLink } from "../neutralize/catcher-link.ts";
import type { NeutralizeOptions } from "../neutralize/neutralize.ts";
import { copyDatabase } from "./copy.ts";
import type { TargetSide } from "./restore-request.ts";
import { recordReport } from "./restore-start.ts";
import { withScratchClaim } from "./scratch-claims.ts";

export interface CopyStart {
  src: InstanceHandle;
  from: TargetSide;
  to: TargetSide;
  /** null: swap into the target instance's database; else publish under this new name. */
  newDb: string | null;
  neutralize: NeutralizeOptions | false;
  actor: string;
}

export function startCopyOperation(ctx: PluginContext<any>, r: CopyStart) {
  const { src, from, to, newDb, neutralize } = r;
  const toInst = to.inst;
  if (!from.currentDb) throw new AppError("E_CONFIG", `${src.name} has no db_name`);
  if (!newDb && !to.currentDb) throw new AppError("E_CONFIG", `${toInst.name} has no db_name to copy into`);
  const op = ctx.operations.start({
    kind: "copy",
    title: `Copy ${src.name} → ${newDb ?? toInst.name}`,
    instanceId: toInst.id,
    actor: r.actor,
    lock: true,
    steps: ["copy"],
    run: (op) =>
      withScratchClaim(
        ctx.db,
        {
          instanceId: toInst.id,
          dbName: newDb ?? to.currentDb!,
          swapDb: newDb ? null : to.currentDb,
          owner: `copy of ${src.name} into ${toInst.name}`,
        },
        async () => {
          const result = await op.step("copy", (s) =>
            copyDatabase({
              from: { ...from, dbName: from.currentDb! },
              to,
              neutralize,
              mail: { link: catcherLink(ctx, toInst.id), kind: "copy" },
              signal: s.signal,
              log: s.log,
              promote: newDb
                ? { kind: "new", dbName: newDb }
                : { kind: "swap", currentDb: to.currentDb!, service: to.service },
            }),
          );
          await recordReport(ctx, toInst.id, op, result);
          return result;
        },
      ),
  });
  return { op, dbName: newDb ?? to.currentDb! };
}
