/**
 * A copy that a restore or restore test proved bad while fetching it (a part's size or SHA-256
 * does not match what the backup recorded, or its manifest is gone) is marked on the backup
 * record as a verify would mark it: the Backups page shows it corrupt, and the next restore or
 * restore test no longer picks it.
 */
import type { PluginContext } from "../../../server/sdk/index.ts";
import type { BadCopy } from "../restore/restore-staging.ts";
import { type BackupRecord, BackupStore } from "../store.ts";

/** The `onBadCopy` of a fetch of `b` on behalf of `actor` (audited as theirs). */
export function markBadCopy(ctx: PluginContext<any>, b: BackupRecord, actor: string) {
  return async (destination: string, verify: BadCopy, reason: string): Promise<void> => {
    await new BackupStore(ctx.db).markCopy(b.id, destination, verify, reason);
    ctx.log.warn(`backup ${b.name}: the copy at ${destination} is ${verify}: ${reason}`);
    await ctx.audit(
      { actor },
      {
        action: "backup.mark-bad",
        target: b.name,
        instanceId: b.instanceId,
        result: "ok",
        details: { destination, verify, reason },
      },
    );
  };
}
