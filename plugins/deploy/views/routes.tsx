/** Pages of the Code tab: /p/deploy/i/:instance/code and its forms (CSRF-checked by the core). */
import { Hono } from "hono";
import { type AppContext, type Env, instanceRoute, toAppError } from "../../../server/sdk/index.ts";
import { discoverRepos, listRefs } from "../repos/discover.ts";
import { CredentialStore } from "../credentials/store.ts";
import { DeployStore } from "../run/store.ts";
import type { DeployCtx } from "../settings.ts";
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
  // Every form runs its declared operation (ctx.operations.invoke): role (operator; the operation
  // refuses a viewer and audits the refusal), input, production rule and the one audit entry are
  // those of REST /ops, the CLI and MCP.
  app.get("/i/:instance/code", viewer, async (c) => render(c, c.var.instance.id));
  const fields = async (c: AppContext) =>
    Object.fromEntries(
      Object.entries(await c.req.parseBody()).map(([k, v]) => [k, typeof v === "string" ? v : ""]),
    ) as Record<string, string>;
  /** An optional text field: absent when left empty, as the operation's default. */
  const opt = (name: string, v: string | undefined) => (v?.trim() ? { [name]: v.trim() } : {});

  app.post("/i/:instance/code/deploy", viewer, async (c) => {
    const id = c.var.instance.id;
    const form = await fields(c);
    return guarded(c, id, async () => {
      const backup = form.backup === "yes" ? true : form.backup === "no" ? false : undefined;
      const r = await ctx.operations.invoke(c, "deploy.run", {
        instance: id,
        ref: String(form.ref ?? "").trim(),
        ...opt("repo", form.repo),
        ...(backup !== undefined ? { backup } : {}),
      });
      return c.redirect(`/operations/${r.operationId}`, 303);
    });
  });

  app.post("/i/:instance/code/runs/:run/rollback", viewer, async (c) => {
    const id = c.var.instance.id;
    const form = await fields(c);
    return guarded(c, id, async () => {
      const r = await ctx.operations.invoke(c, "deploy.rollback", {
        instance: id,
        run: Number(c.req.param("run")),
        confirm: form.confirm ?? "",
      });
      return c.redirect(`/operations/${r.operationId}`, 303);
    });
  });

  /** A mutating form: its operation (CSRF by the core), then the page again with a flash. */
  const form = (
    path: string,
    op: string,
    input: (f: Record<string, string>) => Record<string, unknown>,
    answer: (data: any) => { message: string; newHookUrl?: string },
  ) =>
    app.post(`/i/:instance/code${path}`, viewer, async (c) => {
      const id = c.var.instance.id;
      const f = { ...(await fields(c)), ...c.req.param() };
      return guarded(c, id, async () => {
        const r = await ctx.operations.invoke(c, op, { instance: id, ...input(f) });
        const a = answer(r.data);
        return render(c, id, {
          flash: { kind: "ok", message: a.message },
          ...(a.newHookUrl ? { newHookUrl: a.newHookUrl } : {}),
        });
      });
    });

  form(
    "/hooks",
    "deploy.hooks.create",
    (f) => ({ branch: f.branch ?? "", secret: f.secret ?? "", ...opt("repo", f.repo) }),
    (hook: { url: string }) => ({ message: "Webhook added", newHookUrl: hook.url }),
  );
  form(
    "/hooks/:hook/delete",
    "deploy.hooks.delete",
    (f) => ({ id: Number(f.hook) }),
    (r: { deleted: number }) => ({ message: `Webhook ${r.deleted} deleted` }),
  );
  form(
    "/credentials/key",
    "deploy.credentials.key",
    (f) => opt("repo", f.repo),
    () => ({
      message: "Deploy key generated: add its public key to the repository on the git host (read access)",
    }),
  );
  form(
    "/credentials/token",
    "deploy.credentials.token",
    (f) => ({ token: f.token ?? "", ...opt("repo", f.repo), ...opt("username", f.username) }),
    () => ({ message: "Token stored (encrypted); fetches use it" }),
  );
  form(
    "/credentials/remove",
    "deploy.credentials.remove",
    (f) => ({ repo: f.repo ?? "" }),
    () => ({ message: "Credential removed" }),
  );
  return app;
}
