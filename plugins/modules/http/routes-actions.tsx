/**
 * Install/upgrade/uninstall requests, the action's page, and the rollback of a failed one to the
 * backup taken just before it. Registered on the modules plugin's page and API apps. Every change
 * runs the declared operation (ctx.operations.invoke): the page, this JSON API, REST /ops, the CLI
 * and MCP share one role check, one production rule and one audit entry.
 */
import type { Hono } from "hono";
import { AppError, type AppContext, type Env, instanceRoute, ok } from "../../../server/sdk/index.ts";
import { ActionStore } from "../store/action-store.ts";
import { actionPath } from "../actions/start-action.ts";
import { backupFirstDefault, backupReadiness } from "../actions/backup-api.ts";
import { MODULE_ACTIONS, type ModuleAction } from "../actions/odoo-command.ts";
import { loadAction, withLive } from "../actions/rollback.ts";
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

/** "crm, sale" from a form or ["crm"] from JSON, as the operation's list. */
const moduleList = (v: unknown): string[] =>
  (Array.isArray(v) ? v.map(String) : String(v ?? "").split(",")).map((m) => m.trim()).filter(Boolean);

/** A form or JSON body as the module action operation's input (the form's shapes included). */
function actionInput(c: AppContext, body: Record<string, unknown>) {
  const backupFirst = parseBackupFirst(body);
  return {
    instance: c.var.instance.id,
    modules: moduleList(body.modules),
    ...(backupFirst === undefined ? {} : { backupFirst }),
    ...(body.confirm === undefined ? {} : { confirm: body.confirm }),
  };
}

const formBody = async (c: AppContext) => (await c.req.parseBody()) as Record<string, unknown>;
const jsonBody = async (c: AppContext) => (await c.req.json().catch(() => ({}))) as Record<string, unknown>;

export function actionRoutes(ctx: ModulesCtx, pages: Hono<Env>, api: Hono<Env>) {
  const actions = new ActionStore(ctx.db);
  // Changes need more than a viewer, but the operation checks that (and audits a refusal).
  const viewer = instanceRoute(ctx, "viewer");

  async function action(c: AppContext, body: Record<string, unknown>): Promise<string> {
    const act = parseAction(body.action);
    const r = await ctx.operations.invoke(c, `modules.${act}`, actionInput(c, body));
    return r.operationId!;
  }
  async function rollback(c: AppContext, body: Record<string, unknown>) {
    const input = { instance: c.var.instance.id, action: c.req.param("op"), confirm: body.confirm };
    return (await ctx.operations.invoke(c, "modules.rollback", input)).data as {
      operationId: string;
      backupName: string;
    };
  }

  /** What the actions form and the API say about "back up first" on this instance. */
  async function backupFirstInfo(id: number) {
    const inst = await ctx.instances.get(id);
    const readiness = await backupReadiness(ctx, inst);
    const defaultOn = backupFirstDefault((await ctx.settings()).backupFirst, inst);
    return { inst, readiness, defaultOn: defaultOn && readiness.ok };
  }
  const recentActions = async (id: number) => (await actions.recent(id)).map((a) => withLive(ctx, a));
  /** htmx follows HX-Redirect; a plain form the 303. */
  const redirect = (c: AppContext, to: string) =>
    c.req.header("HX-Request") ? c.body(null, 204, { "HX-Redirect": to }) : c.redirect(to, 303);

  pages.post("/i/:instance/modules/action", viewer, async (c) => {
    const opId = await action(c, await formBody(c));
    // The action's page follows the operation and offers the rollback if it fails.
    return redirect(c, actionPath(c.var.instance.id, opId));
  });
  pages.get("/i/:instance/modules/actions/:op", viewer, async (c) => {
    const inst = c.var.instance;
    const a = await loadAction(ctx, inst.id, c.req.param("op"));
    const view = (
      <ActionView
        a={a}
        base={`/p/${ctx.id}/i/${inst.id}/modules`}
        production={inst.production}
        instanceName={inst.name}
        steps={ctx.operations.get(a.operationId)?.steps ?? null}
      />
    );
    const running = a.status === "running" || a.rollbackStatus === "running";
    const path = actionPath(inst.id, a.operationId);
    const body = running ? (
      <div hx-get={path} hx-trigger="every 2s" hx-select="#module-action" hx-swap="innerHTML">
        {view}
      </div>
    ) : (
      view
    );
    return ctx.views.page(c, { title: `Module ${a.action} · ${inst.name}`, body, instanceId: inst.id });
  });
  pages.post("/i/:instance/modules/actions/:op/rollback", viewer, async (c) => {
    const r = await rollback(c, await formBody(c));
    return redirect(c, `/operations/${r.operationId}`);
  });
  api.post("/i/:instance/actions", viewer, async (c) => {
    return ok(c, { operationId: await action(c, await jsonBody(c)) });
  });
  api.get("/i/:instance/actions", viewer, async (c) => {
    const id = c.var.instance.id;
    const b = await backupFirstInfo(id);
    return ok(c, {
      backupFirst: { available: b.readiness.ok, default: b.defaultOn, readiness: b.readiness },
      recent: await recentActions(id),
    });
  });
  api.get("/i/:instance/actions/:op", viewer, async (c) => {
    return ok(c, await loadAction(ctx, c.var.instance.id, c.req.param("op")));
  });
  api.post("/i/:instance/actions/:op/rollback", viewer, async (c) => {
    const r = await rollback(c, await jsonBody(c));
    return ok(c, { operationId: r.operationId, backupName: r.backupName });
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
