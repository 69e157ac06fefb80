/**
 * Install/upgrade/uninstall requests, the action's page, and the rollback of a failed one to the
 * backup taken just before it. Registered on the modules plugin's page and API apps.
 */
import type { Hono } from "hono";
import { AppError, type AppContext, type Env, ok } from "../../../server/sdk/index.ts";
import { ActionStore } from "../store/action-store.ts";
import { actionPath, startModuleAction } from "../actions/start-action.ts";
import { authorizeChange } from "../actions/authorize.ts";
import { backupFirstDefault, backupReadiness } from "../actions/backup-api.ts";
import { MODULE_ACTIONS, type ModuleAction } from "../actions/odoo-command.ts";
import { instanceId } from "./params.ts";
import { loadAction, startRollback, withLive } from "../actions/rollback.ts";
import type { ModulesCtx } from "../settings.ts";
import { ActionView, BackupFirstBox, RecentActions } from "../views/action-view.tsx";

function parseAction(v: unknown): ModuleAction {
  if (!MODULE_ACTIONS.includes(v as ModuleAction))
    throw new AppError("E_VALIDATION", `Unknown action ${JSON.stringify(v)}`, {
      hint: "install, upgrade or uninstall",
    });
  return v as ModuleAction;
}

/** true/false as the user chose, undefined for the default (a form with the box sends backupChoice). */
function parseBackupFirst(body: Record<string, unknown>): boolean | undefined {
  const v = body.backupFirst;
  if (v === undefined || v === null || v === "") return body.backupChoice ? false : undefined;
  if (typeof v === "boolean") return v;
  const s = String(v).toLowerCase();
  if (["on", "true", "1", "yes"].includes(s)) return true;
  if (["off", "false", "0", "no"].includes(s)) return false;
  throw new AppError("E_VALIDATION", `backupFirst must be true or false, not ${JSON.stringify(v)}`);
}

export function actionRoutes(ctx: ModulesCtx, pages: Hono<Env>, api: Hono<Env>) {
  const actions = new ActionStore(ctx.db);

  async function action(c: AppContext, id: number, body: Record<string, unknown>) {
    const inst = await ctx.instances.get(id);
    const act = parseAction(body.action);
    const p = await authorizeChange(ctx, c, inst, body.confirm as string | undefined, `modules.${act}`);
    const mods = Array.isArray(body.modules) ? body.modules.join(",") : String(body.modules ?? "");
    const backupFirst = parseBackupFirst(body);
    const op = await startModuleAction(ctx, inst, {
      action: act,
      modules: mods,
      actor: p.username,
      backupFirst,
    });
    await ctx.audit(c, {
      action: `modules.${act}`,
      target: inst.name,
      instanceId: id,
      result: "ok",
      details: { modules: mods, operation: op.id, backupFirst: op.backupFirst },
    });
    return op;
  }

  /** What the actions form and the API say about "back up first" on this instance. */
  async function backupFirstInfo(id: number) {
    const inst = await ctx.instances.get(id);
    const readiness = await backupReadiness(ctx, inst);
    const defaultOn = backupFirstDefault((await ctx.settings()).backupFirst, inst);
    return { inst, readiness, defaultOn: defaultOn && readiness.ok };
  }
  const recentActions = async (id: number) => (await actions.recent(id)).map((a) => withLive(ctx, a));

  pages.post("/i/:instance/modules/action", async (c) => {
    const id = instanceId(c);
    const op = await action(c, id, (await c.req.parseBody()) as Record<string, unknown>);
    // The action's page follows the operation and offers the rollback if it fails.
    const to = actionPath(id, op.id);
    if (c.req.header("HX-Request")) return c.body(null, 204, { "HX-Redirect": to });
    return c.redirect(to, 303);
  });
  pages.get("/i/:instance/modules/actions/:op", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    const inst = await ctx.instances.get(id);
    const a = await loadAction(ctx, id, c.req.param("op"));
    const view = (
      <ActionView
        a={a}
        base={`/p/${ctx.id}/i/${id}/modules`}
        production={inst.production}
        instanceName={inst.name}
        steps={ctx.operations.get(a.operationId)?.steps ?? null}
      />
    );
    const running = a.status === "running" || a.rollbackStatus === "running";
    const path = actionPath(id, a.operationId);
    const body = running ? (
      <div hx-get={path} hx-trigger="every 2s" hx-select="#module-action" hx-swap="innerHTML">
        {view}
      </div>
    ) : (
      view
    );
    return ctx.views.page(c, { title: `Module ${a.action} · ${inst.name}`, body, instanceId: id });
  });
  pages.post("/i/:instance/modules/actions/:op/rollback", async (c) => {
    const id = instanceId(c);
    const body = (await c.req.parseBody()) as Record<string, unknown>;
    const inst = await ctx.instances.get(id);
    const r = await startRollback(ctx, c, inst, c.req.param("op"), body.confirm as string | undefined);
    if (c.req.header("HX-Request"))
      return c.body(null, 204, { "HX-Redirect": `/operations/${r.operationId}` });
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  api.post("/i/:instance/actions", async (c) => {
    const op = await action(c, instanceId(c), await c.req.json().catch(() => ({})));
    return ok(c, { operationId: op.id });
  });
  api.get("/i/:instance/actions", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    const b = await backupFirstInfo(id);
    return ok(c, {
      backupFirst: { available: b.readiness.ok, default: b.defaultOn, readiness: b.readiness },
      recent: await recentActions(id),
    });
  });
  api.get("/i/:instance/actions/:op", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    return ok(c, await loadAction(ctx, id, c.req.param("op")));
  });
  api.post("/i/:instance/actions/:op/rollback", async (c) => {
    const id = instanceId(c);
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const inst = await ctx.instances.get(id);
    const r = await startRollback(ctx, c, inst, c.req.param("op"), body.confirm as string | undefined);
    return ok(c, r);
  });

  return {
    /** The "back up first" box and the recent actions, for the modules page. */
    async pageParts(id: number) {
      const b = await backupFirstInfo(id);
      const base = `/p/${ctx.id}/i/${id}/modules`;
      return {
        backupBox: <BackupFirstBox readiness={b.readiness} defaultOn={b.defaultOn} />,
        recent: (
          <RecentActions
            rows={await recentActions(id)}
            base={base}
            production={b.inst.production}
            instanceName={b.inst.name}
          />
        ),
      };
    },
  };
}
