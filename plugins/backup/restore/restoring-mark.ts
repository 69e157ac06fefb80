/**
 * The "restoring" mark every restore path shares: while a restore replaces an instance's own
 * database, its card and page say "restoring" and start/stop answer E_BUSY until the end (other
 * restores, deploys and backups already meet the operation's lock). One wrapper, so a restore path
 * cannot forget the mark or leave it behind when it fails.
 */
import type { OperationSpec, PluginContext } from "../../../server/sdk/index.ts";

export interface RestoringTarget {
  instanceId: number;
  /** A restore into a new database beside the instance does not replace it: no mark. */
  newDb: string | null;
  /** A child restore (a failed upgrade's roll back) runs under its parent's mark. */
  parentId?: string;
  /** What the badge's detail says, e.g. "restore from acme.zip". */
  what: string;
}

/**
 * Wraps an operation's `run` so that the instance is marked "restoring" for the whole run when it
 * replaces the instance's database, and unmarked however the run ends. The mark lives in this
 * process only, so a kill -9 cannot leave it behind.
 * @example ctx.operations.start({ ...spec, run: markRestoring(ctx, { instanceId, newDb, what }, async (op) => {...}) });
 */
export function markRestoring<R>(
  ctx: Pick<PluginContext<any>, "runtimes">,
  target: RestoringTarget,
  run: OperationSpec<R>["run"],
): OperationSpec<R>["run"] {
  if (target.newDb || target.parentId) return run;
  return async (op) => {
    ctx.runtimes.mark(target.instanceId, "restoring", target.what);
    try {
      return await run(op);
    } finally {
      ctx.runtimes.mark(target.instanceId, null);
    }
  };
}
