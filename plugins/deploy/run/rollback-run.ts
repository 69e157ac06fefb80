/**
 * The history's Roll back button: a deploy that went live but misbehaves later goes back to the
 * commit it replaced and, when it changed the database, to the backup taken before it.
 */
import { AppError, type InstanceHandle } from "../../../server/sdk/index.ts";
import { repoInfo } from "../repos/discover.ts";
import type { DeployCtx } from "../settings.ts";
import { changesData } from "./deploy.ts";
import { checkoutOld, restoreData } from "./rollback.ts";
import { DeployStore } from "./store.ts";

export async function startRollback(ctx: DeployCtx, inst: InstanceHandle, runId: number, actor: string) {
  const store = new DeployStore(ctx.db);
  const run = await store.get(runId);
  if (!run || run.instanceId !== inst.id)
    throw new AppError("E_NOT_FOUND", `No deploy ${runId} on ${inst.name}`);
  if (run.rolledBack || run.status === "running" || !run.classification)
    throw new AppError(
      "E_CONFLICT",
      `Deploy ${runId} cannot be rolled back: it is ${run.rolledBack ? "already rolled back" : run.status}`,
      {
        hint: "Only a finished deploy that reached its checkout rolls back",
      },
    );
  const repo = await repoInfo(await inst.connection(), run.repo);
  if (repo.dirty.length)
    throw new AppError("E_CONFLICT", `${run.repo} has changes made by hand`, {
      hint: "Commit or discard them first",
    });
  const data = changesData(run.classification) && run.backupId !== null;
  const id = await store.create({
    instanceId: inst.id,
    repo: run.repo,
    ref: run.fromBranch ?? run.fromCommit,
    fromCommit: repo.commit,
    fromBranch: repo.branch,
    operationId: "",
    trigger: "rollback",
    actor,
    rollbackOf: run.id,
  });
  const op = ctx.operations.start({
    kind: "deploy-rollback",
    title: `Roll back deploy ${run.id} on ${inst.name}`,
    instanceId: inst.id,
    actor,
    lock: true,
    steps: ["checkout", "restore", "restart"],
    run: async (o) => {
      try {
        await o.step("checkout", () =>
          checkoutOld(inst, { repo: run.repo, commit: run.fromCommit, branch: run.fromBranch }),
        );
        await store.update(id, { toCommit: run.fromCommit });
        const rt = await ctx.runtimes.for(inst);
        if (data)
          await o.step("restore", async (s) => {
            await rt.stop();
            await restoreData(ctx, inst, run.backupId!, { actor, parentId: o.id, s });
          });
        await o.step("restart", async (s) => {
          await rt.restart();
          s.log(`ready after ${(await rt.waitReady({ signal: s.signal })).readyMs} ms`);
        });
        await store.update(run.id, { rolledBack: true });
        await store.update(id, { status: "ok" });
        return { runId: id, commit: run.fromCommit, restoredBackup: data ? run.backupName : null };
      } catch (e) {
        await store.update(id, { status: "failed", error: (e as Error).message });
        throw e;
      }
    },
  });
  await store.update(id, { operationId: op.id });
  await op.started;
  return { operationId: op.id, runId: id, done: op.done };
}
