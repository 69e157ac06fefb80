/** Adding and removing push webhooks, shared by the Code tab's forms and the operations. */
import { AppError, type InstanceHandle } from "../../../server/sdk/index.ts";
import { checkRef } from "../repos/git.ts";
import { pickRepo } from "../run/deploy.ts";
import type { DeployCtx } from "../settings.ts";
import type { Hook, HookStore } from "./store.ts";

/** Where a git host posts: the one place that knows the route (it may move to public routes). */
/** Where a push webhook posts: a public route that checks its own signature (no session, no CSRF). */
export const hookUrl = (ctx: DeployCtx, token: string) => `/pub/${ctx.id}/hooks/${token}`;

export async function addHook(
  ctx: DeployCtx,
  hooks: HookStore,
  inst: InstanceHandle,
  input: { repo?: string; branch: string; secret: string },
  actor: string,
): Promise<{ hook: Hook; url: string }> {
  if (input.secret.length < 16)
    throw new AppError("E_VALIDATION", "The secret is too short", {
      hint: "Use 16 characters or more (e.g. openssl rand -hex 20)",
    });
  const branch = checkRef(input.branch.trim());
  const repo = await pickRepo(inst, input.repo);
  const made = await hooks.create(
    { instanceId: inst.id, repo: repo.path, branch, createdBy: actor },
    input.secret,
  );
  const hook = (await hooks.list(inst.id)).find((h) => h.id === made.id)!;
  return { hook, url: hookUrl(ctx, made.token) };
}

export async function deleteHook(hooks: HookStore, inst: InstanceHandle, id: number): Promise<void> {
  if (!(await hooks.remove(inst.id, id)))
    throw new AppError("E_NOT_FOUND", `No webhook ${id} on ${inst.name}`, {
      hint: "The list shows the instance's webhooks with their numbers",
    });
}
