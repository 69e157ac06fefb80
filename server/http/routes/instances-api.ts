import { Hono } from "hono";
import type { Core } from "../../core.ts";
import { discoverOdooConfs } from "../../odoo/discovery.ts";
import { instanceDatabases } from "../../instances/instance-status.ts";
import {
  createInstance,
  type InstanceInput,
  publicInstance,
  removeInstance,
} from "../../instances/instances.ts";
import { probeServer } from "../../instances/server-probe.ts";
import { acceptHostKey, createServer, publicServer, type ServerInput } from "../../instances/servers.ts";
import type { AppContext, Env } from "../../sdk/types.ts";
import { ok, readJson } from "../respond.ts";
import { audited } from "./admin-pages.tsx";

/**
 * JSON API for servers and instances (`/api/v1/servers`, `/api/v1/instances`). Answers go
 * through publicServer/publicInstance: a stored secret can never reach a client. Listing servers,
 * listing and showing instances are operations (server/operations/core-ops.ts) on these paths.
 */
export function instancesApi(core: Core): Hono<Env> {
  const api = new Hono<Env>();
  const need = (c: AppContext, role: "viewer" | "operator" | "admin", instanceId?: number) =>
    core.requireRole(c.get("principal"), role, instanceId);
  const idOf = (c: AppContext) => Number(c.req.param("id"));

  api.get("/servers/:id", async (c) => {
    await need(c, "viewer");
    return ok(c, publicServer(await core.registry.server(idOf(c))));
  });
  api.post("/servers", async (c) => {
    await need(c, "admin");
    const body = await readJson<ServerInput>(c);
    const row = await audited(
      core,
      c,
      { action: "server.add", target: `server:${body.name}`, details: { kind: body.kind, host: body.host } },
      () => createServer(core.db, core.secrets, body),
    );
    return ok(c, publicServer(row), 201);
  });
  api.post("/servers/:id/test", async (c) => {
    await need(c, "operator");
    return ok(c, await probeServer(core.registry, idOf(c)));
  });
  api.post("/servers/:id/accept-key", async (c) => {
    await need(c, "admin");
    const row = await core.registry.server(idOf(c));
    const fp = await audited(
      core,
      c,
      {
        action: "server.accept-host-key",
        target: `server:${row.name}`,
        details: { from: row.host_key, to: row.pending_host_key },
      },
      () => acceptHostKey(core.db, row),
    );
    await core.registry.forget(row.id);
    return ok(c, { hostKey: fp });
  });
  api.get("/servers/:id/discover", async (c) => {
    await need(c, "operator");
    const id = idOf(c);
    try {
      return ok(c, await discoverOdooConfs(await core.registry.connection(id)));
    } catch (e) {
      await core.registry.noteFailure(id, e);
      throw e;
    }
  });

  api.post("/instances", async (c) => {
    await need(c, "admin");
    const body = await readJson<InstanceInput>(c);
    const row = await audited(
      core,
      c,
      { action: "instance.add", target: `instance:${body.name}`, details: { confPath: body.confPath } },
      () => createInstance(core.db, body),
    );
    core.bus.emit("instance.added", { instanceId: row.id });
    return ok(c, publicInstance(row), 201);
  });
  api.delete("/instances/:id", async (c) => {
    await need(c, "admin");
    const row = await core.registry.instanceRow(idOf(c));
    const confirm = c.req.query("confirm") ?? c.req.header("X-Confirm-Name");
    await audited(
      core,
      c,
      {
        action: "instance.remove",
        target: `instance:${row.name}`,
        instanceId: row.id,
        details: { production: !!row.production },
      },
      () => removeInstance(core.db, row, confirm),
    );
    core.bus.emit("instance.removed", { instanceId: row.id });
    return ok(c, { removed: row.id });
  });
  api.get("/instances/:id/databases", async (c) => {
    const id = idOf(c);
    await need(c, "operator", id);
    return ok(c, await instanceDatabases(core.registry, await core.registry.instanceRow(id)));
  });
  return api;
}
