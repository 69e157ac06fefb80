/** What routes, jobs and the CLI share: start a backup, verify one, list them. */
import { join } from "node:path";
import type { PluginContext } from "../../server/sdk/index.ts";
import { AppError } from "../../server/sdk/index.ts";
import { startBackup } from "./create/backup.ts";
import { parseDestinationIds, resolveDestination, resolveDestinations } from "./destinations/resolve.ts";
import { type BackupFormat, type BackupScope, FORMATS, SCOPES } from "./archive/format.ts";
import type { BackupSettings } from "./settings.ts";
import { type BackupRecord, BackupStore, isVerified } from "./store.ts";
import { corruptError, verifyBackup } from "./copies/verify.ts";

export interface CreateInput {
  scope?: string;
  format?: string;
  destinations?: string | string[];
  /** Start as a child of this running operation (see BackupRequest.parentId). */
  parentId?: string;
}

export type BackupService = ReturnType<typeof createBackupService>;

export function createBackupService(ctx: PluginContext<BackupSettings>) {
  const store = new BackupStore(ctx.db);

  /** Waits until the operation holds its lock (or ended): E_BUSY reaches the caller, not only the log. */
  async function started(opId: string): Promise<void> {
    for (let i = 0; i < 250; i++) {
      const s = ctx.operations.get(opId);
      if (s?.status !== "running") {
        if (s?.error?.code === "E_BUSY")
          throw new AppError("E_BUSY", s.error.message, {
            hint: s.error.hint ?? "Wait for the running operation to finish",
          });
        return;
      }
      if (s.currentStep) return;
      await Bun.sleep(20);
    }
  }

  return {
    store,
    async create(instanceId: number, input: CreateInput, actor: string) {
      const scope = (input.scope || "full") as BackupScope;
      const format = (input.format || "native") as BackupFormat;
      if (!SCOPES.includes(scope))
        throw new AppError("E_VALIDATION", `Unknown scope "${scope}"`, { hint: "full, db or files" });
      if (!FORMATS.includes(format))
        throw new AppError("E_VALIDATION", `Unknown format "${format}"`, { hint: "native or zip" });
      const ids = parseDestinationIds(
        input.destinations?.length ? input.destinations : (await ctx.settings()).defaultDestinations,
      );
      if (!ids.length) throw new AppError("E_VALIDATION", "Choose at least one destination");
      const inst = await ctx.instances.get(instanceId);
      const destinations = await resolveDestinations(ctx, ids);
      const s = await ctx.settings();
      const cas = format === "native" && s.filestoreStore === "cas";
      const r = await startBackup(
        {
          operations: ctx.operations,
          store,
          onFinished: (b) =>
            ctx.events.emit("backup.finished", {
              instanceId: b.instanceId,
              backupId: b.id,
              status: b.status,
              name: b.name,
            }),
        },
        inst,
        {
          scope,
          format,
          destinations,
          actor,
          ...(cas ? { cas: { cachePath: join(ctx.dataDir, "backup-cas-cache", `${instanceId}.json`) } } : {}),
          ...(input.parentId ? { parentId: input.parentId } : {}),
        },
      );
      await started(r.operationId);
      return r;
    },
    /** Verification re-reads every copy: an operation (no lock: it only reads). */
    async verify(backupId: number, actor: string) {
      const b = await store.get(backupId);
      if (!b) throw new AppError("E_NOT_FOUND", `Backup ${backupId} does not exist`);
      if (b.status !== "ok")
        throw new AppError(
          "E_VALIDATION",
          `Backup ${b.name} is ${b.status}: only a finished backup can be verified`,
        );
      const op = ctx.operations.start({
        kind: "backup.verify",
        title: `Verify ${b.name}`,
        instanceId: b.instanceId,
        actor,
        steps: ["verify"],
        run: (o) =>
          o.step("verify", async (s) => {
            const states = await verifyBackup(
              b,
              (id) => resolveDestination(ctx, id),
              (done, total) => s.progress({ percent: (100 * done) / total }),
            );
            await store.update(b.id, { destinations: states });
            const err = corruptError(states);
            if (err) throw err;
            return { verified: states.filter((x) => x.verify === "verified").length };
          }),
      });
      return { operationId: op.id, done: op.done.then(async () => (await store.get(backupId))!) };
    },
    async lastBackup(instanceId: number): Promise<BackupRecord | null> {
      return (await store.list(instanceId, 50)).find((b) => b.status === "ok") ?? null;
    },
    async lastVerified(instanceId: number): Promise<BackupRecord | null> {
      return (await store.list(instanceId, 200)).find(isVerified) ?? null;
    },
  };
}
