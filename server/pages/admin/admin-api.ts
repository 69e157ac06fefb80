import { Hono } from "hono";
import { queryAudit } from "../../auth/audit.ts";
import { listTokens } from "../../auth/tokens.ts";
import type { Core } from "../../core.ts";
import { AppError } from "../../errors.ts";
import type { RouteDoc } from "../../operations/openapi.ts";
import type { Env, Role } from "../../sdk/types.ts";
import { ok, readJson } from "../../http/respond.ts";
import { viaOperation } from "../../operations/rest.ts";

/** Summaries of the core routes for the generated OpenAPI document (server/operations/openapi.ts). */
export const CORE_ROUTE_DOCS: RouteDoc[] = [
  { method: "get", path: "/me", summary: "The caller", role: "viewer" },
  { method: "get", path: "/users", summary: "List users", role: "admin" },
  { method: "post", path: "/users", summary: "Add a user {username,password,role}", role: "admin" },
  { method: "get", path: "/tokens", summary: "List API tokens", role: "viewer" },
  {
    method: "post",
    path: "/tokens",
    summary: "Create an API token {name,role}; the value is returned once",
    role: "viewer",
  },
  { method: "delete", path: "/tokens/{id}", summary: "Revoke a token", role: "viewer" },
  {
    method: "get",
    path: "/audit",
    summary: "Audit entries (?actor&action&result&instance&limit)",
    role: "admin",
  },
  { method: "get", path: "/plugins", summary: "Plugins and their status", role: "viewer" },
  { method: "get", path: "/operations", summary: "Recent operations", role: "viewer" },
  { method: "get", path: "/operations/{id}", summary: "One operation with its log", role: "viewer" },
  {
    method: "post",
    path: "/operations/{id}/cancel",
    summary: "Cancel a running operation",
    role: "operator",
  },
  { method: "get", path: "/jobs", summary: "Job definitions, schedules and recent runs", role: "viewer" },
  {
    method: "delete",
    path: "/instances/{id}",
    summary:
      "Remove an instance (forgets it with its grants, schedules and history links; Odoo is not touched)",
    role: "admin",
    confirm: "the instance's name",
  },
];

export function coreApi(core: Core): Hono<Env> {
  const app = new Hono<Env>();
  const need = (c: any, role: Role, instanceId?: number | null) =>
    core.requireRole(c.get("principal"), role, instanceId);

  app.get("/me", (c) => ok(c, c.get("principal")));
  // The old paths of users.list / users.add, through the executor (same role, validation, audit).
  app.get("/users", (c) => viaOperation(core, c, "users.list", {}));
  app.post("/users", async (c) => viaOperation(core, c, "users.add", await readJson(c), 201));
  app.get("/tokens", async (c) => {
    const p = c.get("principal")!;
    return ok(c, await listTokens(core.db, p.role === "admin" ? undefined : p.userId));
  });
  app.post("/tokens", async (c) => viaOperation(core, c, "tokens.create", await readJson(c), 201));
  app.delete("/tokens/:id", (c) => viaOperation(core, c, "tokens.revoke", { id: Number(c.req.param("id")) }));
  app.get("/audit", async (c) => {
    await need(c, "admin");
    const q = c.req.query();
    return ok(
      c,
      await queryAudit(core.db, {
        actor: q.actor,
        action: q.action,
        result: q.result as any,
        instanceId: q.instance ? Number(q.instance) : undefined,
        limit: q.limit ? Number(q.limit) : 100,
      }),
    );
  });
  app.get("/plugins", (c) =>
    ok(
      c,
      core.host.records.map((r) => ({
        id: r.id,
        name: r.name,
        version: r.version,
        source: r.source,
        status: r.status,
        reason: r.reason,
      })),
    ),
  );
  app.get("/operations", async (c) => ok(c, await core.operations.list(Number(c.req.query("limit") ?? 50))));
  app.get("/operations/:id", async (c) => {
    const found = await core.operations.load(c.req.param("id"));
    if (!found) throw new AppError("E_NOT_FOUND", "No such operation");
    await need(c, "viewer", found.snap.instanceId);
    return ok(c, { ...found.snap, log: found.log });
  });
  app.post("/operations/:id/cancel", (c) =>
    viaOperation(core, c, "operations.cancel", { id: c.req.param("id") }),
  );
  app.get("/jobs", async (c) =>
    ok(c, {
      definitions: core.scheduler
        .definitions()
        .map((d) => ({ key: d.key, description: d.description, scope: d.scope, defaultCron: d.defaultCron })),
      schedules: await core.scheduler.listSchedules(),
      runs: await core.scheduler.listRuns(50),
    }),
  );
  return app;
}
