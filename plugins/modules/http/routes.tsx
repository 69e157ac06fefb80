import { Hono } from "hono";
import { AppError, type AppContext, type Env, ok } from "../../../server/sdk/index.ts";
import { ChecksumStore } from "../store/checksum-store.ts";
import { compareModules } from "../report/compare.ts";
import { loadModulesReport } from "../report/load-report.ts";
import { recordDeployed as recordDeployedModules, requireModules } from "../report/modules-service.ts";
import { instanceId } from "./params.ts";
import { actionRoutes } from "./routes-actions.tsx";
import type { ModulesCtx } from "../settings.ts";
import { ComparePage } from "../views/compare-page.tsx";
import { ModuleDetail } from "../views/module-detail.tsx";
import { FILTERS, type FilterName, ModulesPage } from "../views/modules-page.tsx";

export function modulesRoutes(ctx: ModulesCtx) {
  const store = new ChecksumStore(ctx.db);
  const opts = async () => ({ skipStatic: (await ctx.settings()).checksumSkipStatic });
  const report = async (id: number) => loadModulesReport(await ctx.instances.get(id), store, await opts());

  async function recordDeployed(c: AppContext, id: number, only: string[] | null) {
    const inst = await ctx.instances.get(id);
    const p = await ctx.auth.require(c, "operator", id);
    const n = await recordDeployedModules(ctx, store, inst, only, p.username);
    await ctx.audit(c, {
      action: "modules.record",
      target: inst.name,
      instanceId: id,
      result: "ok",
      details: { modules: n },
    });
    return n;
  }

  const pages = new Hono<Env>();
  const api = new Hono<Env>();
  const acts = actionRoutes(ctx, pages, api);
  pages.get("/i/:instance/modules", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    const r = await report(id);
    const filter = (c.req.query("filter") ?? "installed") as FilterName;
    const others = (await ctx.instances.list())
      .filter((i) => i.id !== id)
      .map((i) => ({ id: i.id, name: i.name }));
    const base = `/p/${ctx.id}/i/${id}/modules`;
    const body = (
      <ModulesPage
        report={r}
        filter={filter in FILTERS ? filter : "installed"}
        base={base}
        others={others}
        {...(await acts.pageParts(id))}
      />
    );
    return ctx.views.page(c, { title: `Modules · ${r.instanceName}`, body, instanceId: id });
  });
  pages.get("/i/:instance/modules/:name", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    const mods = requireModules(await report(id));
    const all = new Map(mods.map((m) => [m.name, m]));
    const m = all.get(c.req.param("name"));
    if (!m) throw new AppError("E_NOT_FOUND", `No module "${c.req.param("name")}"`);
    const body = <ModuleDetail m={m} all={all} base={`/p/${ctx.id}/i/${id}/modules`} />;
    return ctx.views.page(c, { title: `Module ${m.name}`, body, instanceId: id });
  });
  pages.get("/i/:instance/compare", async (c) => {
    const id = instanceId(c);
    const other = instanceId(c, "with");
    await ctx.auth.require(c, "viewer", id);
    await ctx.auth.require(c, "viewer", other);
    const [l, r] = await Promise.all([report(id), report(other)]);
    const body = (
      <ComparePage
        left={l.instanceName}
        right={r.instanceName}
        cmp={compareModules(requireModules(l), requireModules(r))}
      />
    );
    return ctx.views.page(c, {
      title: `Modules: ${l.instanceName} vs ${r.instanceName}`,
      body,
      instanceId: id,
    });
  });
  pages.post("/i/:instance/modules/record", async (c) => {
    const id = instanceId(c);
    const n = await recordDeployed(c, id, null);
    return ctx.views.page(c, {
      title: "Checksums recorded",
      instanceId: id,
      flash: { kind: "ok", message: `Recorded the files of ${n} module(s) as deployed` },
      body: <a href={`/p/${ctx.id}/i/${id}/modules`}>Back to the modules</a>,
    });
  });

  api.get("/i/:instance", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    const r = await report(id);
    requireModules(r);
    return ok(c, r);
  });
  api.get("/compare", async (c) => {
    const left = instanceId(c, "left");
    const right = instanceId(c, "right");
    await ctx.auth.require(c, "viewer", left);
    await ctx.auth.require(c, "viewer", right);
    const [l, r] = await Promise.all([report(left), report(right)]);
    return ok(c, {
      left: l.instanceName,
      right: r.instanceName,
      ...compareModules(requireModules(l), requireModules(r)),
    });
  });
  api.post("/i/:instance/record", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { modules?: string[] };
    const n = await recordDeployed(c, instanceId(c), Array.isArray(body.modules) ? body.modules : null);
    return ok(c, { recorded: n });
  });
  return { pages, api };
}
