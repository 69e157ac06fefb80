/** Pages of the Code tab: /p/deploy/i/:instance/code and its forms (CSRF-checked by the core). */
import { Hono } from "hono";
import { AppError, type AppContext, type Env, toAppError } from "../../../server/sdk/index.ts";
import { discoverRepos, listRefs } from "../repos/discover.ts";
import { checkRef } from "../repos/git.ts";
import { startDeploy } from "../run/deploy.ts";
import { startRollback } from "../run/rollback-run.ts";
import { DeployStore } from "../run/store.ts";
import type { DeployCtx } from "../settings.ts";
import type { HookStore } from "../webhooks/store.ts";
import { CodePage } from "./code-page.tsx";

const idOf = (c: AppContext) => {
  const n = Number(c.req.param("instance"));
  if (!Number.isInteger(n) || n <= 0) throw new AppError("E_NOT_FOUND", "No such instance");
  return n;
};

export function codeRoutes(ctx: DeployCtx, hooks: HookStore): Hono<Env> {
  const app = new Hono<Env>();
  const render = async (
    c: AppContext,
    id: number,
    extra: {
      flash?: { kind: "ok" | "error"; message: string; hint?: string; code?: string };
      newHookUrl?: string;
    } = {},
  ) => {
    const inst = await ctx.instances.get(id);
    const p = c.get("principal");
    const conn = await inst.connection();
    const repos = await Promise.all(
      (await discoverRepos(inst)).map(async (r) => ({ ...r, refs: await listRefs(conn, r.path) })),
    );
    const body = (
      <CodePage
        base={`/p/${ctx.id}/i/${id}/code`}
        instanceName={inst.name}
        repos={repos}
        runs={await new DeployStore(ctx.db).list(id)}
        hooks={await hooks.list(id)}
        canDeploy={await ctx.auth.can(p, "operator", id)}
        newHookUrl={extra.newHookUrl ?? null}
      />
    );
    return ctx.views.page(c, {
      title: `Code — ${inst.name}`,
      body,
      instanceId: id,
      flash: extra.flash ?? null,
      status: extra.flash?.kind === "error" ? 422 : 200,
    });
  };
  const guarded = async (c: AppContext, id: number, act: () => Promise<Response>) => {
    try {
      return await act();
    } catch (e) {
      const err = toAppError(e);
      if (err.code === "E_FORBIDDEN" || err.code === "E_UNAUTHENTICATED") throw err;
      return render(c, id, {
        flash: { kind: "error", message: err.message, hint: err.hint, code: err.code },
      });
    }
  };

  app.get("/i/:instance/code", async (c) => {
    const id = idOf(c);
    await ctx.auth.require(c, "viewer", id);
    return render(c, id);
  });

  app.post("/i/:instance/code/deploy", async (c) => {
    const id = idOf(c);
    const p = await ctx.auth.require(c, "operator", id);
    const form = await c.req.parseBody();
    return guarded(c, id, async () => {
      const inst = await ctx.instances.get(id);
      const backup = form.backup === "yes" ? true : form.backup === "no" ? false : undefined;
      const r = await startDeploy(ctx, inst, {
        ref: String(form.ref ?? "").trim(),
        ...(form.repo ? { repo: String(form.repo) } : {}),
        ...(backup !== undefined ? { backup } : {}),
        trigger: "user",
        actor: p.username,
      });
      await ctx.audit(c, {
        action: "deploy.run",
        target: String(form.ref),
        instanceId: id,
        result: "ok",
        details: { runId: r.runId },
      });
      return c.redirect(`/operations/${r.operationId}`, 303);
    });
  });

  app.post("/i/:instance/code/runs/:run/rollback", async (c) => {
    const id = idOf(c);
    const p = await ctx.auth.require(c, "operator", id);
    const form = await c.req.parseBody();
    return guarded(c, id, async () => {
      const inst = await ctx.instances.get(id);
      if (form.confirm !== inst.name)
        throw new AppError("E_CONFIRMATION", undefined, { hint: `Type ${inst.name} to roll back` });
      const r = await startRollback(ctx, inst, Number(c.req.param("run")), p.username);
      await ctx.audit(c, {
        action: "deploy.rollback",
        target: `deploy ${c.req.param("run")}`,
        instanceId: id,
        result: "ok",
        details: { runId: r.runId },
      });
      return c.redirect(`/operations/${r.operationId}`, 303);
    });
  });

  app.post("/i/:instance/code/hooks", async (c) => {
    const id = idOf(c);
    const p = await ctx.auth.require(c, "operator", id);
    const form = await c.req.parseBody();
    return guarded(c, id, async () => {
      const secret = String(form.secret ?? "");
      if (secret.length < 16)
        throw new AppError("E_VALIDATION", "The secret is too short", {
          hint: "Use 16 characters or more (e.g. openssl rand -hex 20)",
        });
      const branch = String(form.branch ?? "").trim();
      const repos = await discoverRepos(await ctx.instances.get(id));
      const repo = repos.find((r) => r.path === String(form.repo ?? ""));
      if (!repo) throw new AppError("E_NOT_FOUND", "Pick one of the instance's repositories");
      checkRef(branch);
      const made = await hooks.create(
        { instanceId: id, repo: repo.path, branch, createdBy: p.username },
        secret,
      );
      await ctx.audit(c, {
        action: "deploy.hook.create",
        target: branch,
        instanceId: id,
        result: "ok",
        details: { hook: made.id },
      });
      return render(c, id, {
        flash: { kind: "ok", message: "Webhook added" },
        newHookUrl: `/pub/${ctx.id}/hooks/${made.token}`,
      });
    });
  });
  return app;
}
