/** /p/previews/templates: list, make a template from an instance, refresh one. */
import { Hono } from "hono";
import { type AppContext, AppError, type Env } from "../../../server/sdk/index.ts";
import type { PreviewsService } from "../service.ts";
import type { PreviewsCtx } from "../settings.ts";
import { TemplateForm, TemplateList } from "../views/templates.tsx";

export function templatePages(ctx: PreviewsCtx, svc: PreviewsService) {
  const app = new Hono<Env>();

  app.get("/", async (c) => {
    const who = await ctx.auth.require(c, "viewer");
    const instances = await ctx.instances.list();
    const operable = [];
    for (const i of instances) if (await ctx.auth.can(who, "operator", i.id)) operable.push(i);
    const visible = [];
    for (const t of await svc.store.templates())
      if (await ctx.auth.can(who, "viewer", t.instanceId)) visible.push(t);
    return ctx.views.page(c, {
      title: "Preview templates",
      body: (
        <div>
          <TemplateList
            templates={visible}
            instanceNames={new Map(instances.map((i) => [i.id, i.name]))}
            canRefresh={new Set(operable.map((i) => i.id))}
          />
          <h2>Make a template</h2>
          <TemplateForm
            instances={operable.filter((i) => i.dbName).map((i) => ({ id: i.id, name: i.name }))}
          />
        </div>
      ),
    });
  });

  /** Runs previews.template (operator on the instance; audited by the executor); shows its steps. */
  const refresh = async (c: AppContext, input: { name: string; instanceId: number; repo: string | null }) => {
    const r = await ctx.operations.invoke(c, "previews.template", {
      instance: input.instanceId,
      template: input.name,
      ...(input.repo ? { repo: input.repo } : {}),
    });
    return c.redirect(`/operations/${r.operationId}`, 303);
  };

  app.post("/", async (c) => {
    const b = (await c.req.parseBody()) as Record<string, string>;
    const instanceId = Number(b.instance);
    if (!Number.isInteger(instanceId) || instanceId <= 0)
      throw new AppError("E_VALIDATION", "Pick the instance the template is made from");
    return refresh(c, { name: String(b.name ?? ""), instanceId, repo: String(b.repo ?? "").trim() || null });
  });

  app.post("/:name/refresh", async (c) => {
    const t = await svc.store.template(c.req.param("name"));
    if (!t) throw new AppError("E_NOT_FOUND", `There is no template ${c.req.param("name")}`);
    return refresh(c, { name: t.name, instanceId: t.instanceId, repo: t.repo });
  });
  return app;
}
