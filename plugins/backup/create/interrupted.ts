/**
 * Backups cut short by a dead odoodeck (kill -9, power loss): their row still says `running` and
 * their partial copy is still on disk. At start each such backup whose process is gone is marked
 * `interrupted`, and its `.partial` folder (or file) is removed from every local destination it
 * was being written to — only that name, which only that backup record owns. Logged and audited.
 */
import { existsSync } from "node:fs";
import { type PluginContext, ownerAlive, toAppError } from "../../../server/sdk/index.ts";
import { resolveDestination } from "../destinations/resolve.ts";
import { stagingName } from "../archive/publish.ts";
import type { BackupSettings } from "../settings.ts";
import type { BackupRecord, BackupStore } from "../store.ts";

/** Removes what `b` left at its local destinations; returns the paths removed and the failures. */
async function sweepPartials(ctx: PluginContext<BackupSettings>, b: BackupRecord) {
  const removed: string[] = [];
  const failed: string[] = [];
  for (const st of b.destinations) {
    // Published there: not a leftover. S3 and other servers are not reached at start (no I/O
    // that could hold it up); a partial copy there is only ever under the backup's partial name.
    if (st.status === "ok" || st.id !== "local") continue;
    try {
      const d = await resolveDestination(ctx, st.id);
      if (!d.localPath) continue;
      const rel = stagingName(d, b.name);
      if (rel === b.name || !existsSync(d.localPath(rel))) continue;
      await d.remove(rel);
      removed.push(d.localPath(rel));
    } catch (e) {
      failed.push(`${st.id}: ${toAppError(e).message}`);
    }
  }
  return { removed, failed };
}

/** Marks the backups of stopped processes interrupted and sweeps their partial copies. */
export async function recoverInterruptedBackups(
  ctx: PluginContext<BackupSettings>,
  store: BackupStore,
): Promise<number> {
  const stale = (await store.running()).filter((b) => !ownerAlive(b.owner));
  for (const b of stale) {
    const { removed, failed } = await sweepPartials(ctx, b);
    await store.update(b.id, {
      status: "interrupted",
      finishedAt: new Date().toISOString(),
      error: "odoodeck stopped while this backup was being written",
      destinations: b.destinations.map((d) => (d.status === "ok" ? d : { ...d, status: "failed" as const })),
    });
    const line = `Backup ${b.name} was interrupted (odoodeck stopped); ${
      removed.length ? `removed ${removed.join(", ")}` : "nothing left to remove"
    }${failed.length ? `; could not remove (remove by hand) ${failed.join("; ")}` : ""}`;
    ctx.log.warn(line);
    await ctx.audit(
      { actor: "system" },
      {
        action: "backup.interrupted",
        target: b.name,
        instanceId: b.instanceId,
        result: failed.length ? "error" : "ok",
        details: { backupId: b.id, removed, failed },
      },
    );
  }
  return stale.length;
}
