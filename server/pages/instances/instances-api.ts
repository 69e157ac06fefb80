import { Hono } from "hono";
import type { Core } from "../../core.ts";
import { publicServer } from "../../instances/servers.ts";
import { viaOperation } from "../../operations/rest.ts";
import type { AppContext, Env } from "../../sdk/types.ts";
import { ok, readJson } from "../../http/respond.ts";
import { routeId } from "../../http/route-id.ts";

/**
 * JSON API for servers and instances (`/api/v1/servers`, `/api/v1/instances`). Answers go
 * through publicServer/publicInstance: a stored secret can never reach a client. Listing servers,
 * listing and showing instances are operations (server/operations/core-ops.ts) on these paths.
 */
export function instancesApi(core: Core): Hono<Env> {
  const api = new Hono<Env>();
  const need = (c: AppContext, role: "viewer" | "operator" | "admin", instanceId?: number) =>
    core.requireRole(c.get("principal"), role, instanceId);
  const serverId = (c: AppContext) => routeId(c, "server");
  const idOf = (c: AppContext) => routeId(c, "instance");

  api.get("/servers/:id", async (c) => {
    await need(c, "viewer");
    return ok(c, publicServer(await core.registry.server(serverId(c))));
  });
  // These answer through their operations (server/operations/inventory-ops.ts): same role,
  // validation and audit entry as on /api/v1/ops, the CLI and MCP.
  api.post("/servers", async (c) => viaOperation(core, c, "servers.add", await readJson(c), 201));
  api.post("/servers/:id/test", (c) => viaOperation(core, c, "servers.test", { server: serverId(c) }));
  api.post("/servers/:id/accept-key", (c) =>
    viaOperation(core, c, "servers.accept-key", { server: serverId(c) }),
  );
  api.get("/servers/:id/discover", (c) => viaOperation(core, c, "servers.discover", { server: serverId(c) }));
  api.post("/instances", async (c) => viaOperation(core, c, "instances.add", await readJson(c), 201));
  // Destructive: the instance's name in ?confirm= or X-Confirm-Name, production or not (as on
  // /api/v1/ops/instances.remove, the CLI and MCP).
  api.delete("/instances/:id", (c) =>
    viaOperation(core, c, "instances.remove", {
      instance: idOf(c),
      confirm: c.req.query("confirm") ?? c.req.header("X-Confirm-Name"),
    }),
  );
  api.get("/instances/:id/databases", (c) =>
    viaOperation(core, c, "instances.databases", { instance: idOf(c) }),
  );
  return api;
}
