/**
 * POST /pub/deploy/hooks/:token — a git host's push starts a deploy of the hook's branch.
 * No session: the request proves itself with the hook's secret (HMAC or GitLab's token).
 */
import { Hono } from "hono";
import { AppError, type Env, fail, ok, toAppError } from "../../../server/sdk/index.ts";
import { startDeploy } from "../run/deploy.ts";
import type { DeployCtx } from "../settings.ts";
import type { HookStore } from "./store.ts";
import { parsePush, providerOf, verifySignature } from "./verify.ts";

export function hookRoutes(ctx: DeployCtx, hooks: HookStore): Hono<Env> {
  const app = new Hono<Env>();
  app.post("/hooks/:token", async (c) => {
    const body = await c.req.text();
    const h = (name: string) => c.req.header(name);
    const hook = await hooks.byToken(c.req.param("token"));
    const provider = providerOf(h);
    // One answer for an unknown hook and a wrong secret: the URL token is not confirmed to guessers.
    if (!hook || !provider || !verifySignature(provider, h, body, hook.secret))
      return fail(
        c,
        new AppError("E_UNAUTHENTICATED", "The webhook signature does not match", {
          hint: "Set the same secret on the git host as on the hook in odoodeck",
        }),
      );
    const push = parsePush(provider, h, body);
    const actor = `webhook:${provider}`;
    if (!push.branch || push.branch !== hook.branch)
      return ok(c, {
        deployed: false,
        reason: `not a push to ${hook.branch} (event ${push.event || "unknown"})`,
      });
    try {
      const inst = await ctx.instances.get(hook.instanceId);
      const r = await startDeploy(ctx, inst, {
        repo: hook.repo,
        ref: push.branch,
        trigger: "webhook",
        actor,
      });
      await ctx.audit(
        { actor },
        {
          action: "deploy.run",
          target: push.branch,
          instanceId: inst.id,
          result: "ok",
          details: { runId: r.runId, after: push.after, hook: hook.id },
        },
      );
      return c.json({ ok: true, data: { deployed: true, operationId: r.operationId, runId: r.runId } }, 202);
    } catch (e) {
      const err = toAppError(e);
      await ctx.audit(
        { actor },
        {
          action: "deploy.run",
          target: push.branch,
          instanceId: hook.instanceId,
          result: "error",
          details: { code: err.code, hook: hook.id },
        },
      );
      return fail(c, err);
    }
  });
  return app;
}
