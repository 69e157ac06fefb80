import { Hono } from "hono";
import type { Core } from "./core.ts";
import { AppError } from "./errors.ts";
import { mountAssets } from "./http/assets.ts";
import { mountPluginAssets } from "./http/plugin-assets.ts";
import { limitBodies } from "./http/body-limit.ts";
import { errorHandler } from "./http/error-handler.tsx";
import { timing } from "hono/timing";
import { authenticate, csrfProtection, securityHeaders } from "./http/middleware.ts";
import { mountPublicRoutes } from "./http/public-routes.ts";
import { ok } from "./http/respond.ts";
import { adminPages } from "./pages/admin/admin-pages.tsx";
import { CORE_ROUTE_DOCS, coreApi } from "./pages/admin/admin-api.ts";
import { authPages } from "./pages/auth/auth-pages.tsx";
import { dashboardPages } from "./pages/dashboard/dashboard.tsx";
import { instancesApi } from "./pages/instances/instances-api.ts";
import { instancesPages } from "./pages/instances/instances-pages.tsx";
import { opsPages } from "./pages/operations/ops-pages.tsx";
import { serversPages } from "./pages/servers/servers-pages.tsx";
import { mcpRoutes } from "./mcp/http.ts";
import { openApiDocument } from "./operations/openapi.ts";
import { operationRoutes } from "./operations/rest.ts";
import { PluginHost } from "./plugin-host/host.ts";
import { runtimeRoutes } from "./runtime/routes.tsx";
import type { Env } from "./sdk/types.ts";

/** Extra core route groups (servers/instances pages etc.) register here, so app.ts stays wiring. */
export type RouteGroup = (core: Core) => { pages?: Hono<Env>; api?: Hono<Env> };
const extraGroups: RouteGroup[] = [];
export function addCoreRoutes(g: RouteGroup): void {
  extraGroups.push(g);
}

/** Builds the Hono app around an opened core. No I/O happens here. */
export function buildApp(core: Core): Hono<Env> {
  // Not strict: /p/hello/ and /p/hello reach the same page, as users type either.
  const app = new Hono<Env>({ strict: false });
  app.onError(errorHandler(core));
  app.notFound(() => {
    throw new AppError("E_NOT_FOUND", "There is no page at this address", {
      hint: "Check the link, or start from the dashboard",
    });
  });

  app.get("/healthz", (c) =>
    c.json({ ok: true, data: { status: "up", uptimeS: Math.round((Date.now() - core.startedAt) / 1000) } }),
  );
  app.get("/readyz", (c) => {
    const failed = core.host.records
      .filter((r) => r.status === "disabled")
      .map((r) => ({ id: r.id, reason: r.reason }));
    if (!core.ready)
      return c.json({ ok: false, error: { code: "E_BUSY", message: "odoodeck is starting" } }, 503);
    return ok(c, {
      status: "ready",
      plugins: core.host.records.filter((r) => r.status === "started").map((r) => r.id),
      disabledPlugins: failed,
    });
  });
  mountAssets(app);
  mountPluginAssets(app, (id) => core.host.get(id));

  app.use("*", securityHeaders());
  app.use("*", limitBodies());
  // Server-Timing (total) for signed-in users: what bench/pages.ts reads; strangers learn nothing.
  app.use("*", timing({ enabled: (c) => !!c.get("principal"), totalDescription: "render" }));
  // Routes for strangers (webhooks, share links): before sign-in and CSRF, which never apply there.
  mountPublicRoutes(app, core);
  app.use("*", authenticate(core));
  app.use("*", csrfProtection());

  app.route("/", authPages(core));
  app.route("/", dashboardPages(core));
  app.route("/", adminPages(core));
  app.route("/", opsPages(core));
  app.route("/", serversPages(core));
  app.route("/", instancesPages(core));
  // Generated from the router itself when asked, so every route below is in it.
  app.get("/api/v1/openapi.json", (c) => c.json(openApiDocument(core, app, CORE_ROUTE_DOCS)));
  app.route("/api/v1", operationRoutes(core));
  app.route("/", mcpRoutes(core));
  app.route("/api/v1", instancesApi(core));
  const runtime = runtimeRoutes(core);
  app.route("/", runtime.pages);
  app.route("/api/v1", runtime.api);
  // Notifications moved to a plugin: old bookmarks land on its page.
  app.get("/notifications", (c) => c.redirect("/p/notifications", 301));
  app.route("/api/v1", coreApi(core));
  for (const g of extraGroups) {
    const r = g(core);
    if (r.pages) app.route("/", r.pages);
    if (r.api) app.route("/api/v1", r.api);
  }
  for (const rec of core.host.records) {
    if (rec.pages) app.route(`/p/${rec.id}`, PluginHost.guard(rec, rec.pages));
    if (rec.api) app.route(`/api/v1/${rec.id}`, PluginHost.guard(rec, rec.api));
  }
  return app;
}
