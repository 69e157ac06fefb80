/**
 * The rollback copies a swap keeps of an instance's previous database and filestore: listed and
 * dropped the same way by the restore page, its JSON routes and the operations.
 */
import { AppError, type InstanceHandle } from "../../../server/sdk/index.ts";
import { targetSide } from "./restore-request.ts";
import { dropRollback, listRollbacks } from "./swap.ts";

/** The instance's rollback copies, oldest first; none when it has no database configured. */
export async function rollbacksOf(inst: InstanceHandle) {
  const t = await targetSide(inst);
  return { t, list: t.currentDb ? await listRollbacks(t.conn, t.pg, t.filestoreRoot, t.currentDb) : [] };
}

/** Drops one rollback copy of THIS instance (a name of another database is refused as unknown). */
export async function dropRollbackOf(inst: InstanceHandle, name: string): Promise<void> {
  const t = await targetSide(inst);
  if (!t.currentDb || !name.startsWith(`${t.currentDb}__rollback_`))
    throw new AppError("E_NOT_FOUND", `${name} is not a rollback copy of ${inst.name}`, {
      hint: "The restore page lists the instance's rollback copies",
    });
  await dropRollback(t.conn, t.pg, t.filestoreRoot, name);
}
