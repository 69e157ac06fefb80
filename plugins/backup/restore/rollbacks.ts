/**
 * The rollback copies a swap keeps of an instance's previous database and filestore, listed the
 * same way by the restore page, its JSON routes and backup.rollbacks.list. Dropping one is the
 * database plugin's database.drop-rollback (admin, the copy's name typed back) on every surface.
 */
import type { InstanceHandle } from "../../../server/sdk/index.ts";
import { targetSide } from "./restore-request.ts";
import { listRollbacks } from "./swap.ts";

/** The instance's rollback copies, oldest first; none when it has no database configured. */
export async function rollbacksOf(inst: InstanceHandle) {
  const t = await targetSide(inst);
  return { t, list: t.currentDb ? await listRollbacks(t.conn, t.pg, t.filestoreRoot, t.currentDb) : [] };
}
