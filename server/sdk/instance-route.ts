import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.ts";
import type { AuthApi, Env, InstanceHandle, InstancesApi, Principal, Role } from "./types.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The instance of the route, set by `instanceRoute` once its role check passed. */
    instance: InstanceHandle;
  }
}

/** What resolving an instance needs: a plugin's `ctx` has both. */
export interface InstanceLookup {
  instances: Pick<InstancesApi, "list" | "get">;
  auth: Pick<AuthApi, "can">;
}

const missing = (text: string) =>
  new AppError("E_NOT_FOUND", `No instance ${/^\d+$/.test(text) ? "with id " : "named "}${text}`, {
    hint: "It may have been removed; see the Instances page",
  });

/**
 * Finds an instance by id or name for a principal. One the principal may not view gets the very
 * answer a missing one gets, so nobody learns which instances exist by trying names.
 * @example const inst = await findInstance(ctx, c.get("principal"), "acme-prod");
 */
export async function findInstance(
  lookup: InstanceLookup,
  p: Principal | null,
  ref: unknown,
): Promise<InstanceHandle> {
  if (!p) throw new AppError("E_UNAUTHENTICATED");
  const text = typeof ref === "number" ? String(ref) : typeof ref === "string" ? ref.trim() : "";
  if (!text)
    throw new AppError("E_VALIDATION", "instance: give the instance's id or name", {
      hint: "odoodeck instance list shows them",
    });
  let inst: InstanceHandle | undefined;
  if (/^\d+$/.test(text)) inst = await lookup.instances.get(Number(text)).catch(() => undefined);
  else inst = (await lookup.instances.list()).find((i) => i.name === text);
  if (!inst || !(await lookup.auth.can(p, "viewer", inst.id))) throw missing(text);
  return inst;
}

/**
 * Route middleware: resolves the `:instance` (or `:id`) parameter, an id or a name, once, checks
 * the principal holds `role` on it, and sets `c.var.instance`. An instance the user cannot see
 * answers E_NOT_FOUND like a missing one; one they see with too low a role, E_FORBIDDEN.
 * @example
 * app.post("/i/:instance/check", instanceRoute(ctx, "operator"), async (c) => {
 *   const inst = c.var.instance; // typed InstanceHandle
 *   return ok(c, await checkNow(inst));
 * });
 */
export function instanceRoute(lookup: InstanceLookup, role: Role): MiddlewareHandler<Env> {
  return async (c, next) => {
    const p = c.get("principal");
    const inst = await findInstance(lookup, p, c.req.param("instance") ?? c.req.param("id"));
    if (!(await lookup.auth.can(p, role, inst.id)))
      throw new AppError("E_FORBIDDEN", `This needs the ${role} role on ${inst.name}`, {
        hint: `Your role is ${p!.role}; an admin can grant more`,
      });
    c.set("instance", inst);
    await next();
  };
}
