/**
 * The one way core pages read the record of their URL: `:id` is a positive integer or the record
 * does not exist (E_NOT_FOUND, as for a missing one), never `Number("abc")` reaching a query.
 * Instance routes go further with `coreInstanceRoute`: the instance resolved once, its role checked.
 */
import type { MiddlewareHandler } from "hono";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { instanceRoute } from "../sdk/instance-route.ts";
import type { AppContext, Env, Role } from "../sdk/types.ts";

const HINTS = {
  instance: "It may have been removed; see the Instances page",
  server: "It may have been removed; see the Servers page",
} as const;

/** The `:id` (or `name`) of the route as a record id; E_NOT_FOUND when it cannot be one. */
export function routeId(c: AppContext, what: keyof typeof HINTS, name = "id"): number {
  const raw = c.req.param(name) ?? "";
  if (!/^[1-9]\d{0,15}$/.test(raw))
    throw new AppError("E_NOT_FOUND", `No ${what} with id ${raw.slice(0, 40)}`, { hint: HINTS[what] });
  return Number(raw);
}

/**
 * The core's `instanceRoute`: resolves `:id` once, checks `role` on that instance, sets
 * `c.var.instance`; an instance the caller may not see answers like a missing one.
 * @example app.get("/instances/:id/status", coreInstanceRoute(core, "viewer"), (c) => …c.var.instance…)
 */
export function coreInstanceRoute(core: Core, role: Role): MiddlewareHandler<Env> {
  return instanceRoute({ instances: core.registry, auth: core }, role);
}
