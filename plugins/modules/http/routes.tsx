import { Hono } from "hono";
import {
  AppError,
  type AppContext,
  type Env,
  findInstance,
  instanceRoute,
  ok,
} from "../../../server/sdk/index.ts";
import { ChecksumStore } from "../store/checksum-store.ts";
import { compareModules } from "../report/compare.ts";
import { loadModulesReport } from "../report/load-report.ts";
import { requireModules } from "../report/modules-service.ts";
import { actionRoutes } from "./routes-actions.tsx";
import type { ModulesCtx } from "../settings.ts";
import { ComparePage } from "../views/compare-page.tsx";
import { ModuleDetail } from "../views/module-detail.tsx";
import { FILTERS, type FilterName, ModulesPage } from "../views/modules-page.tsx";

export function modulesRoutes(ctx: ModulesCtx) {
  const store = new ChecksumStore(ctx.db);
  const opts = async () => ({ skipStatic: (await ctx.settings()).checksumSkipStatic });
  const report = async (id: number) => loadModulesReport(await ctx.instances.get(id), store, await opts());

  /** Records the deployed checksums through the declared operation (role, audit as on REST). */
  async function recordDeployed(c: AppContext, only: string[] | null): Promise<number> {
    const input = { instance: c.var.instance.id, ...(only ? { modules: only } : {}) };
    const r = await ctx.operations.invoke(c, "modules.record-checksums", input);
    return (r.data as { recorded: number }).recorded;
  }
  const viewer = instanceRoute(ctx, "viewer");
  /** Another instance named in the query (compare), visible to the caller or E_NOT_FOUND. */
  const other = async (c: AppContext, name: string) =>
    (await findInstance(ctx, c.get("principal"), c.req.query(name))).id;

  const pages = new Hono<Env>();
  const api = new Hono<Env>();
  const acts = actionRoutes(ctx, pages, api);
  pages.get("/i/:instance/modules", viewer, async (c) => {
    const id = c.var.instance.id;
    // Independent reads (the report's psql and addons scan, the backup box's readiness checks):
    // side by side, not one after the other.
    const [r, parts] = await Promise.all([report(id), acts.pageParts(id)]);
    const filter = (c.req.query("filter") ?? "installed") as FilterName;
    // Compare with: only instances this user may see (a name is already a disclosure).
    const p = c.get("principal");
    const others: Array<{ id: number; name: string }> = [];
    for (const i of await ctx.instances.list())
      if (i.id !== id && (await ctx.auth.can(p, "viewer", i.id))) others.push({ id: i.id, name: i.name });
    const base = `/p/${ctx.id}/i/${id}/modules`;
    const body = (
      <ModulesPage
        report={r}
        filter={filter in FILTERS ? filter : "installed"}
        base={base}
        others={others}
        {...parts}
      />
    );
    return ctx.views.page(c, { title: `Modules · ${r.instanceName}`, body, instanceId: id });
  });
  pages.get("/i/:instance/modules/:name", viewer, async (c) => {
    const id = c.var.instance.id;
    const mods = requireModules(await report(id));
    const all = new Map(mods.map((m) => [m.name, m]));
    const m = all.get(c.req.param("name"));
    if (!m) throw new AppError("E_NOT_FOUND", `No module "${c.req.param("name")}"`);
    const body = <ModuleDetail m={m} all={all} base={`/p/${ctx.id}/i/${id}/modules`} />;
    return ctx.views.page(c, { title: `Module ${m.name}`, body, instanceId: id });
  });
  pages.get("/i/:instance/compare", viewer, async (c) => {
    const id = c.var.instance.id;
    const [l, r] = await Promise.all([report(id), report(await other(c, "with"))]);
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
  pages.post("/i/:instance/modules/record", viewer, async (c) => {
    const id = c.var.instance.id;
    const n = await recordDeployed(c, null);
    return ctx.views.page(c, {
      title: "Checksums recorded",
      instanceId: id,
      flash: { kind: "ok", message: `Recorded the files of ${n} module(s) as deployed` },
      body: <a href={`/p/${ctx.id}/i/${id}/modules`}>Back to the modules</a>,
    });
  });

  api.get("/i/:instance", viewer, async (c) => {
    const r = await report(c.var.instance.id);
    requireModules(r);
    return ok(c, r);
  });
  api.get("/compare", async (c) => {
    const [left, right] = [await other(c, "left"), await other(c, "right")];
    const [l, r] = await Promise.all([report(left), report(right)]);
    return ok(c, {
      left: l.instanceName,
      right: r.instanceName,
      ...compareModules(requireModules(l), requireModules(r)),
    });
  });
  api.post("/i/:instance/record", viewer, async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { modules?: string[] };
    const n = await recordDeployed(c, Array.isArray(body.modules) ? body.modules : null);
    return ok(c, { recorded: n });
  });
  return { pages, api };
}
