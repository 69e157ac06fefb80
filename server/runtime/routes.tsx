/**
 * Start / Stop / Restart of an instance: the page card (`/instances/:id/runtime`, htmx) and the
 * REST routes `POST /api/v1/instances/:id/{start,stop,restart}`. Operator on that instance,
 * CSRF (the core's middleware); both run the operations instances.start|stop|restart.
 */
import { Hono } from "hono";
import type { Core } from "../core.ts";
import { AppError, isAppError, toAppError } from "../errors.ts";
import { renderPage } from "../http/render.tsx";
import { isHtmx, ok, readJson } from "../http/respond.ts";
import { invokeOperation } from "../operations/rest.ts";
import { instanceRoute } from "../sdk/instance-route.ts";
import type { AppContext, Env } from "../sdk/types.ts";
import { RUNTIME_ACTIONS, type RuntimeAction, type RuntimeActionResult } from "./actions.ts";
import { RuntimeCard } from "./runtime-view.tsx";

type Flash = { kind: "ok" | "error"; message: string; hint?: string } | null;

function actionOf(c: AppContext): RuntimeAction {
  const a = c.req.param("action") as RuntimeAction;
  if (!RUNTIME_ACTIONS.includes(a)) throw new AppError("E_NOT_FOUND", "There is no such action");
  return a;
}

export function runtimeRoutes(core: Core): { pages: Hono<Env>; api: Hono<Env> } {
  const pages = new Hono<Env>();
  const api = new Hono<Env>();
  // The instance of the route, resolved once with the role check (hidden answers as missing).
  const lookup = { instances: core.registry, auth: core };
  const viewer = instanceRoute(lookup, "viewer");
  const operator = instanceRoute(lookup, "operator");

  // The operations instances.start|stop|restart: role, audit and answers as on REST /ops, CLI, MCP.
  const act = async (c: AppContext, action: RuntimeAction, confirm: string | null) => {
    const input = { instance: c.var.instance.id, ...(confirm === null ? {} : { confirm }) };
    return (await invokeOperation(core, c, `instances.${action}`, input)).data as RuntimeActionResult;
  };

  const card = async (c: AppContext, flash: Flash) => {
    const instance = c.var.instance;
    const id = instance.id;
    const p = c.get("principal")!;
    const life = await core.runtimes.lifecycle(instance);
    // A restore marks an instance "restoring" whether or not it has a runtime of its own.
    const rt = life
      ? await core.runtimes.for(instance).catch((e) => {
          if (isAppError(e) && e.code === "E_NO_RUNTIME") return null;
          throw e;
        })
      : null;
    const body = (
      <RuntimeCard
        instance={instance}
        label={rt?.label ?? null}
        life={life}
        ready={rt?.lastReady ?? null}
        canOperate={await core.can(p, "operator", id)}
      />
    );
    return renderPage(core, c, { title: `${instance.name} runtime`, instanceId: id, body, flash });
  };

  pages.get("/instances/:id/runtime", viewer, (c) => card(c, null));
  pages.post("/instances/:id/runtime/:action", operator, async (c) => {
    const action = actionOf(c);
    const f = await c.req.parseBody();
    try {
      const r = await act(c, action, typeof f.confirm === "string" ? f.confirm : null);
      if (!isHtmx(c)) return c.redirect(`/instances/${c.var.instance.id}`, 303);
      const msg =
        r.readyMs === null
          ? "Stopped."
          : `${action === "start" ? "Started" : "Restarted"}: ready in ${r.readyMs} ms.`;
      return card(c, { kind: "ok", message: msg });
    } catch (e) {
      const err = toAppError(e);
      if (!isHtmx(c) || err.code === "E_FORBIDDEN" || err.code === "E_UNAUTHENTICATED") throw err;
      return card(c, { kind: "error", message: err.message, hint: err.hint });
    }
  });

  api.post("/instances/:id/:action{start|stop|restart}", operator, async (c) => {
    const body = c.req.header("Content-Type")?.includes("json")
      ? await readJson<{ confirm?: string }>(c)
      : {};
    const confirm = body.confirm ?? c.req.query("confirm") ?? c.req.header("X-Confirm-Name") ?? null;
    return ok(c, await act(c, actionOf(c), confirm));
  });
  return { pages, api };
}
