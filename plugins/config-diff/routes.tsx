import { Hono } from "hono";
import { type Env, type PluginContext, ok } from "odoodeck/sdk";
import { comparison, configView, instanceIdOf, revealSecret } from "./service.ts";
import { timeline } from "./snapshots.ts";
import { ConfigPage } from "./views/config-page.tsx";
import { DiffPage } from "./views/diff-page.tsx";
import { HistoryPage } from "./views/history-page.tsx";

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
      const [ia, ib] = [instanceIdOf(a), instanceIdOf(b)];
      await ctx.auth.require(c, "viewer", ia);
      await ctx.auth.require(c, "viewer", ib);
      cmp = await comparison(ctx, ia, ib, "diff");
    }
    return ctx.views.page(c, {
      title: "Config diff",
      body: <DiffPage instances={visible.map((i) => ({ id: i.id, name: i.name }))} a={a} b={b} cmp={cmp} />,
    });
  });

  app.get("/i/:instance/config", async (c) => {
    const id = instanceIdOf(c.req.param("instance"));
    const p = await ctx.auth.require(c, "viewer", id);
    const view = await configView(ctx, id, "view");
    const canReveal = await ctx.auth.can(p, "admin", id);
    return ctx.views.page(c, {
      title: `Config — ${view.instance.name}`,
      instanceId: id,
      body: <ConfigPage view={view} base={`/p/config-diff/i/${id}`} canReveal={canReveal} />,
    });
  });

  app.get("/i/:instance/config/history", async (c) => {
    const id = instanceIdOf(c.req.param("instance"));
    await ctx.auth.require(c, "viewer", id);
    const inst = await ctx.instances.get(id);
    return ctx.views.page(c, {
      title: `Config history — ${inst.name}`,
      instanceId: id,
      body: <HistoryPage items={await timeline(ctx, id)} base={`/p/config-diff/i/${id}`} />,
    });
  });

  app.post("/i/:instance/config/reveal", async (c) => {
    const id = instanceIdOf(c.req.param("instance"));
    await ctx.auth.require(c, "admin", id);
    const form = await c.req.parseBody();
    const value = await revealSecret(ctx, c, id, String(form.scope ?? ""), String(form.key ?? ""));
    c.header("Cache-Control", "no-store");
    return c.html(<code class="mono revealed">{value}</code>);
  });
  return app;
}

/** JSON API, mounted at /api/v1/config-diff. Masked unless a reveal is asked for (admin, audited). */
export function apiRoutes(ctx: PluginContext): Hono<Env> {
  const app = new Hono<Env>();
  app.get("/i/:instance", async (c) => {
    const id = instanceIdOf(c.req.param("instance"));
    await ctx.auth.require(c, "viewer", id);
    return ok(c, await configView(ctx, id, "api"));
  });
  app.get("/i/:instance/history", async (c) => {
    const id = instanceIdOf(c.req.param("instance"));
    await ctx.auth.require(c, "viewer", id);
    return ok(c, await timeline(ctx, id, Number(c.req.query("limit") ?? 50) || 50));
  });
  app.get("/diff", async (c) => {
    const [a, b] = [instanceIdOf(c.req.query("a")), instanceIdOf(c.req.query("b"))];
    await ctx.auth.require(c, "viewer", a);
    await ctx.auth.require(c, "viewer", b);
    return ok(c, await comparison(ctx, a, b, "api"));
  });
  app.post("/i/:instance/reveal", async (c) => {
    const id = instanceIdOf(c.req.param("instance"));
    await ctx.auth.require(c, "admin", id);
    const body = (await c.req.json().catch(() => ({}))) as { scope?: string; key?: string };
    const value = await revealSecret(ctx, c, id, String(body.scope ?? ""), String(body.key ?? ""));
    c.header("Cache-Control", "no-store");
    return ok(c, { scope: body.scope, key: body.key, value });
  });
  return app;
}
