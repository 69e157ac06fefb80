/** Pages of the Code tab: /p/deploy/i/:instance/code and its forms (CSRF-checked by the core). */
import { Hono } from "hono";
import {
  AppError,
  type AppContext,
  type Env,
  type InstanceHandle,
  instanceRoute,
  toAppError,
} from "../../../server/sdk/index.ts";
import { discoverRepos, listRefs } from "../repos/discover.ts";
import { newDeployKey, removeCredential, setToken } from "../credentials/manage.ts";
import { CredentialStore } from "../credentials/store.ts";
import { startDeploy } from "../run/deploy.ts";
import { startRollback } from "../run/rollback-run.ts";
import { DeployStore } from "../run/store.ts";
import type { DeployCtx } from "../settings.ts";
import { addHook, deleteHook } from "../webhooks/manage.ts";
import type { HookStore } from "../webhooks/store.ts";
import { CodePage } from "./code-page.tsx";

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
        credentials={await new CredentialStore(ctx.db, ctx.secrets).list(id)}
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

  const viewer = instanceRoute(ctx, "viewer");
  const operator = instanceRoute(ctx, "operator");
  app.get("/i/:instance/code", viewer, async (c) => render(c, c.var.instance.id));

  app.post("/i/:instance/code/deploy", operator, async (c) => {
    const id = c.var.instance.id;
    const p = c.get("principal")!;
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

  app.post("/i/:instance/code/runs/:run/rollback", operator, async (c) => {
    const id = c.var.instance.id;
    const p = c.get("principal")!;
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

  /** A mutating form: operator, CSRF (core), audit entry, then the page again with a flash. */
  const form = (
    path: string,
    action: string,
    act: (
      inst: InstanceHandle,
      form: Record<string, string>,
      actor: string,
    ) => Promise<{ target: string; message: string; details?: Record<string, unknown>; newHookUrl?: string }>,
  ) =>
    app.post(`/i/:instance/code${path}`, operator, async (c) => {
      const id = c.var.instance.id;
      const p = c.get("principal")!;
      const body = Object.fromEntries(
        Object.entries(await c.req.parseBody()).map(([k, v]) => [k, typeof v === "string" ? v : ""]),
      );
      return guarded(c, id, async () => {
        const r = await act(await ctx.instances.get(id), { ...body, ...c.req.param() }, p.username);
        await ctx.audit(c, {
          action,
          target: r.target,
          instanceId: id,
          result: "ok",
          details: r.details ?? {},
        });
        return render(c, id, {
          flash: { kind: "ok", message: r.message },
          ...(r.newHookUrl ? { newHookUrl: r.newHookUrl } : {}),
        });
      });
    });

  form("/hooks", "deploy.hooks.create", async (inst, f, actor) => {
    const r = await addHook(
      ctx,
      hooks,
      inst,
      { repo: f.repo, branch: f.branch ?? "", secret: f.secret ?? "" },
      actor,
    );
    return {
      target: r.hook.branch,
      message: "Webhook added",
      details: { hook: r.hook.id },
      newHookUrl: r.url,
    };
  });
  form("/hooks/:hook/delete", "deploy.hooks.delete", async (inst, f) => {
    await deleteHook(hooks, inst, Number(f.hook));
    return { target: `webhook ${f.hook}`, message: `Webhook ${f.hook} deleted` };
  });
  form("/credentials/key", "deploy.credentials.key", async (inst, f, actor) => {
    const cred = await newDeployKey(ctx, inst, f.repo, actor);
    return {
      target: cred.repo,
      message: "Deploy key generated: add its public key to the repository on the git host (read access)",
      details: { kind: cred.kind },
    };
  });
  form("/credentials/token", "deploy.credentials.token", async (inst, f, actor) => {
    const cred = await setToken(
      ctx,
      inst,
      { repo: f.repo, username: f.username, token: f.token ?? "" },
      actor,
    );
    return {
      target: cred.repo,
      message: "Token stored (encrypted); fetches use it",
      details: { kind: cred.kind },
    };
  });
  form("/credentials/remove", "deploy.credentials.remove", async (inst, f) => {
    await removeCredential(ctx, inst, f.repo ?? "");
    return { target: f.repo ?? "", message: "Credential removed" };
  });
  return app;
}
