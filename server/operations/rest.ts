import { Hono } from "hono";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { clientIp } from "../http/client-ip.ts";
import { ok, readJson } from "../http/respond.ts";
import type { AppContext, Env } from "../sdk/types.ts";
import type { DeclaredOperation } from "./catalog.ts";
import { executeOperation } from "./execute.ts";

/** `{instance}` in a declared path → Hono's `:instance`. */
export const honoPath = (path: string) => path.replace(/\{([a-zA-Z_]+)\}/g, ":$1");

/** Query values as input: numbers stay strings unless they look like one (path ids are numbers). */
const fromParams = (params: Record<string, string>) =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v]));

async function inputOf(c: AppContext, method: string, viaPath: boolean): Promise<Record<string, unknown>> {
  const params = viaPath ? fromParams(c.req.param() as Record<string, string>) : {};
  if (method === "GET" || method === "DELETE") {
    const { wait: _w, ...query } = c.req.query();
    return { ...query, ...params };
  }
  // An empty body is an empty input (`POST /ops/servers.list` with nothing to say).
  const empty = c.req.header("Content-Length") === "0" || !c.req.raw.body;
  const body: unknown = empty ? {} : await readJson(c);
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new AppError("E_VALIDATION", "The input must be an object of named fields");
  return { ...(body as Record<string, unknown>), ...params };
}

async function answer(
  core: Core,
  d: DeclaredOperation,
  c: AppContext,
  method: string,
  viaPath: boolean,
): Promise<Response> {
  const res = await executeOperation(core, d, {
    principal: c.get("principal"),
    surface: "api",
    input: await inputOf(c, method, viaPath),
    signal: c.req.raw.signal,
    ip: clientIp(c, core.config.trustProxy),
  });
  if (!res.finished) return ok(c, res.data);
  // Long-running: 202 with the id at once (progress: GET /api/v1/operations/<id> or SSE /events),
  // or the final snapshot with ?wait=true.
  if (c.req.query("wait") === "true" || c.req.query("wait") === "1")
    return ok(c, { ...(res.data as object), operation: await res.finished() });
  return ok(c, res.data, 202);
}

/**
 * The REST surface: every live operation at `POST /api/v1/ops/<id>` and at its REST-shaped path
 * when it declares one. Looked up per request, so a plugin disabled after start stops answering.
 */
export function operationRoutes(core: Core): Hono<Env> {
  const app = new Hono<Env>();
  const find = (id: string) => {
    const d = core.liveOperations().find((x) => x.op.id === id);
    if (!d)
      throw new AppError("E_NOT_FOUND", `No operation ${id}`, {
        hint: "GET /api/v1/openapi.json lists them",
      });
    return d;
  };
  app.post("/ops/:id", (c) => answer(core, find(c.req.param("id")), c, "POST", false));
  for (const d of core.catalog.list()) {
    if (!d.op.http) continue;
    const { method, path } = d.op.http;
    app.on(method, honoPath(path), (c) => answer(core, find(d.op.id), c, method, true));
  }
  return app;
}

/**
 * Runs a live operation for a route (core's viaOperation, plugins' `ctx.operations.invoke`):
 * the request's principal through the one executor, so role, validation, production rule, lock
 * and audit are those of REST. A route under /api is surface "api", any other a "page".
 */
export async function invokeOperation(
  core: Core,
  c: AppContext,
  id: string,
  input: Record<string, unknown>,
): Promise<{ data: unknown; operationId?: string }> {
  const d = core.liveOperations().find((x) => x.op.id === id);
  if (!d)
    throw new AppError("E_NOT_FOUND", `No operation ${id}`, {
      hint: "Its plugin may be disabled; GET /api/v1/openapi.json lists the live ones",
    });
  const res = await executeOperation(core, d, {
    principal: c.get("principal"),
    surface: c.req.path.startsWith("/api/") ? "api" : "page",
    input,
    signal: c.req.raw.signal,
    ip: clientIp(c, core.config.trustProxy),
  });
  return res.operationId ? { data: res.data, operationId: res.operationId } : { data: res.data };
}

/**
 * For a route that predates its operation: runs the operation through the executor (same role,
 * validation, audit) and answers as the route always did.
 */
export async function viaOperation(
  core: Core,
  c: AppContext,
  id: string,
  input: Record<string, unknown>,
  status: 200 | 201 = 200,
): Promise<Response> {
  return ok(c, (await invokeOperation(core, c, id, input)).data, status);
}
