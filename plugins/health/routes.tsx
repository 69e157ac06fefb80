import { Hono } from "hono";
import { type AppContext, type Env, instanceRoute, ok, type PluginContext } from "../../server/sdk/index.ts";
import { memoryThresholds } from "./checks/processes.ts";
import { addInstanceMetrics, addProcessMetrics, MetricsText } from "./metrics/metrics.ts";
import type { HealthMonitor } from "./engine/monitor.ts";
import type { HealthSettings } from "./settings.ts";
import { effectiveThresholds } from "./engine/thresholds.ts";
import { InstanceHealth, type Series } from "./views/instance.tsx";
import { Overview } from "./views/overview.tsx";

/** The items (instances or their summaries) the signed-in user may view. */
async function visibleOnly<T extends { id: number }>(
  ctx: PluginContext<HealthSettings>,
  c: Parameters<typeof ctx.auth.require>[0],
  items: T[],
): Promise<T[]> {
  const p = c.get("principal");
  const out: T[] = [];
  for (const it of items) if (await ctx.auth.can(p, "viewer", it.id)) out.push(it);
  return out;
}

const CHARTS = [
  { check: "http", title: "Response time", unit: "ms" },
  { check: "disk", title: "Disk free", unit: "%" },
  { check: "memory", title: "Memory used", unit: "%" },
  { check: "odoo_memory", title: "Odoo memory (RSS)", unit: "MB" },
  { check: "odoo_cpu", title: "Odoo CPU (share of the server)", unit: "%" },
  { check: "worker_restarts", title: "Worker restarts in the last hour", unit: "" },
];

/** A week of each numeric check, with the limits that apply to this instance drawn in. */
async function history(mon: HealthMonitor, id: number): Promise<Series[]> {
  const since = new Date(Date.now() - 7 * 86_400_000).toISOString();
  const [overrides, latest] = await Promise.all([mon.store.overrides(id), mon.store.latest(id)]);
  return Promise.all(
    CHARTS.map(async (c) => {
      const def = mon.checks.find((d) => d.id === c.check);
      const total = latest.find((r) => r.check === c.check)?.data?.mem_total_bytes;
      const measured = c.check === "odoo_memory" && total ? memoryThresholds(total) : undefined;
      const t = def ? effectiveThresholds(def, overrides.get(c.check), measured) : undefined;
      const points = await mon.store.points(id, c.check, since);
      return { title: c.title, unit: c.unit, points, warning: t?.warning, critical: t?.critical };
    }),
  );
}

/**
 * Runs one of the health operations (operations.ts) for the instance of the URL: role, input,
 * audit are the executor's, the same as on REST /ops, the CLI and MCP.
 */
async function run(
  ctx: PluginContext<HealthSettings>,
  c: AppContext,
  id: string,
  input: Record<string, unknown>,
) {
  return (await ctx.operations.invoke(c, id, { ...input, instance: c.req.param("instance") })).data;
}

/** The maintenance form's or body's window as health.maintenance.set's input. */
const windowInput = (b: Record<string, unknown>) => ({
  from: String(b.from ?? ""),
  to: String(b.to ?? ""),
  reason: String(b.reason ?? ""),
});

/** A limit as given: empty is null (the default), a number as a number, anything else as is (refused). */
const limitOf = (v: unknown) =>
  v == null || v === "" ? null : Number.isFinite(Number(v)) && typeof v !== "boolean" ? Number(v) : v;

export function healthPages(ctx: PluginContext<HealthSettings>, mon: HealthMonitor): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/", async (c) => {
    await ctx.auth.require(c, "viewer");
    const rows = await visibleOnly(ctx, c, await mon.summaries());
    return ctx.views.page(c, { title: "Health", body: <Overview rows={rows} /> });
  });
  app.get("/i/:instance", instanceRoute(ctx, "viewer"), async (c) => {
    const inst = c.var.instance;
    const id = inst.id;
    const [s, series, windows] = await Promise.all([
      mon.summary(inst),
      history(mon, id),
      mon.store.maintenance(id),
    ]);
    const canOperate = await ctx.auth.can(c.get("principal"), "operator", id);
    return ctx.views.page(c, {
      title: `Health · ${inst.name}`,
      instanceId: id,
      body: <InstanceHealth s={s} series={series} windows={windows} canOperate={canOperate} />,
    });
  });
  // The instance is resolved for the redirect; health.maintenance.set checks the role.
  app.post("/i/:instance/maintenance", instanceRoute(ctx, "viewer"), async (c) => {
    const id = c.var.instance.id;
    await run(ctx, c, "health.maintenance.set", windowInput(await c.req.parseBody()));
    return c.redirect(`/p/health/i/${id}/`, 303);
  });
  return app;
}

export function healthApi(ctx: PluginContext<HealthSettings>, mon: HealthMonitor): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/status", async (c) => {
    await ctx.auth.require(c, "viewer");
    const rows = await visibleOnly(ctx, c, await mon.summaries());
    return ok(c, { instances: rows });
  });
  app.get("/metrics", async (c) => {
    await ctx.auth.require(c, "viewer");
    const m = new MetricsText();
    for (const inst of await visibleOnly(ctx, c, await ctx.instances.list()))
      addInstanceMetrics(m, inst, await mon.store.latest(inst.id));
    addProcessMetrics(m, mon.startedAt);
    return c.body(m.toString(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });
  app.post("/i/:instance/check", async (c) => ok(c, await run(ctx, c, "health.check-now", {})));
  app.post("/i/:instance/maintenance", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    return ok(c, await run(ctx, c, "health.maintenance.set", windowInput(body)));
  });
  app.put("/i/:instance/overrides/:check", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const input = {
      check: c.req.param("check"),
      warning: limitOf(body.warning),
      critical: limitOf(body.critical),
      disabled: !!body.disabled,
    };
    return ok(c, await run(ctx, c, "health.override.set", input));
  });
  return app;
}
