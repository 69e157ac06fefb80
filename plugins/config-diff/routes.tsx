import { Hono } from "hono";
import { type AppContext, type Env, findInstance, instanceRoute, type PluginContext, ok } from "odoodeck/sdk";
import { comparison, configView } from "./service.ts";
import { timeline } from "./snapshots.ts";
import { ConfigPage } from "./views/config-page.tsx";
import { DiffPage } from "./views/diff-page.tsx";
import { HistoryPage } from "./views/history-page.tsx";

/** The two instances to compare (id or name each), both visible to the user, or E_NOT_FOUND. */
async function pair(ctx: PluginContext, c: AppContext, a: string | undefined, b: string | undefined) {
  const p = c.get("principal");
  const [ia, ib] = await Promise.all([findInstance(ctx, p, a), findInstance(ctx, p, b)]);
  return [ia.id, ib.id] as const;
}

/** Runs config-diff.reveal for the instance of the URL with the form's or body's scope and key. */
async function reveal(ctx: PluginContext, c: AppContext, body: Record<string, unknown>) {
  const r = await ctx.operations.invoke(c, "config-diff.reveal", {
    instance: c.req.param("instance"),
    scope: String(body.scope ?? ""),
    key: String(body.key ?? ""),
  });
  return r.data as { scope: string; key: string; value: string };
}

/** HTML pages, mounted at /p/config-diff. */
export function pageRoutes(ctx: PluginContext): Hono<Env> {
  const app = new Hono<Env>();

  app.get("/", async (c) => {
    await ctx.auth.require(c, "viewer");
    const a = c.req.query("a") ?? "";
    const b = c.req.query("b") ?? "";
    const all = await ctx.instances.list();
    const visible = [];
    for (const i of all) if (await ctx.auth.can(c.get("principal"), "viewer", i.id)) visible.push(i);
    let cmp = null;
    if (a && b) {
      const [ia, ib] = await pair(ctx, c, a, b);
      cmp = await comparison(ctx, ia, ib, "diff");
    }
    return ctx.views.page(c, {
      title: "Config diff",
      body: <DiffPage instances={visible.map((i) => ({ id: i.id, name: i.name }))} a={a} b={b} cmp={cmp} />,
    });
  });

  app.get("/i/:instance/config", instanceRoute(ctx, "viewer"), async (c) => {
    const id = c.var.instance.id;
    const p = c.get("principal");
    const view = await configView(ctx, id, "view");
    const canReveal = await ctx.auth.can(p, "admin", id);
    return ctx.views.page(c, {
      title: `Config — ${view.instance.name}`,
      instanceId: id,
      body: <ConfigPage view={view} base={`/p/config-diff/i/${id}`} canReveal={canReveal} />,
    });
  });

  app.get("/i/:instance/config/history", instanceRoute(ctx, "viewer"), async (c) => {
    const id = c.var.instance.id;
    const inst = c.var.instance;
    return ctx.views.page(c, {
      title: `Config history — ${inst.name}`,
      instanceId: id,
      body: <HistoryPage items={await timeline(ctx, id)} base={`/p/config-diff/i/${id}`} />,
    });
  });

  // config-diff.reveal (operations.ts): role, instance, audit are the executor's, as on REST /ops.
  app.post("/i/:instance/config/reveal", async (c) => {
    const { value } = await reveal(ctx, c, await c.req.parseBody());
    c.header("Cache-Control", "no-store");
    return c.html(<code class="mono revealed">{value}</code>);
  });
  return app;
}

/** JSON API, mounted at /api/v1/config-diff. Masked unless a reveal is asked for (admin, audited). */
export function apiRoutes(ctx: PluginContext): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/i/:instance", instanceRoute(ctx, "viewer"), async (c) => {
    const id = c.var.instance.id;
    return ok(c, await configView(ctx, id, "api"));
  });
  app.get("/i/:instance/history", instanceRoute(ctx, "viewer"), async (c) => {
    const id = c.var.instance.id;
    return ok(c, await timeline(ctx, id, Number(c.req.query("limit") ?? 50) || 50));
  });
  app.get("/diff", async (c) => {
    const [a, b] = await pair(ctx, c, c.req.query("a"), c.req.query("b"));
    return ok(c, await comparison(ctx, a, b, "api"));
  });
  app.post("/i/:instance/reveal", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const out = await reveal(ctx, c, body);
    c.header("Cache-Control", "no-store");
    return ok(c, out);
  });
  return app;
}
