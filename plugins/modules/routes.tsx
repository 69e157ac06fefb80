import { Hono } from "hono";
import { AppError, type AppContext, type Env, ok } from "../../server/sdk/index.ts";
import { ActionStore } from "./action-store.ts";
import { actionPath, startModuleAction } from "./actions.ts";
import { authorizeChange } from "./authorize.ts";
import { backupFirstDefault, backupReadiness } from "./backup-api.ts";
import { ChecksumStore } from "./checksum-store.ts";
import { compareModules } from "./compare.ts";
import { currentChecksums, loadModulesReport, type ModulesReport } from "./load-report.ts";
import { MODULE_ACTIONS, type ModuleAction } from "./odoo-command.ts";
import { LIVE_STATES } from "./report.ts";
import { loadAction, startRollback, withLive } from "./rollback.ts";
import type { ModulesCtx } from "./settings.ts";
import { ActionView, BackupFirstBox, RecentActions } from "./views/action-view.tsx";
import { ComparePage } from "./views/compare-page.tsx";
import { ModuleDetail } from "./views/module-detail.tsx";
import { FILTERS, type FilterName, ModulesPage } from "./views/modules-page.tsx";

const instanceId = (c: AppContext, name = "instance"): number => {
  const id = Number(c.req.param(name) ?? c.req.query(name));
  if (!Number.isInteger(id) || id <= 0) throw new AppError("E_VALIDATION", `Invalid instance id`);
  return id;
};

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

/** The JSON API refuses a report without modules; the page shows what it has. */
function requireModules(r: ModulesReport) {
  if (r.modules) return r.modules;
  const e = r.errors.find((x) => x.section !== "addons") ?? r.errors[0];
  throw new AppError((e?.code as any) ?? "E_INTERNAL", e?.message, { hint: e?.hint });
}

export function modulesRoutes(ctx: ModulesCtx) {
  const store = new ChecksumStore(ctx.db);
  const actions = new ActionStore(ctx.db);
  const opts = async () => ({ skipStatic: (await ctx.settings()).checksumSkipStatic });
  const report = async (id: number) => loadModulesReport(await ctx.instances.get(id), store, await opts());

  async function recordDeployed(c: AppContext, id: number, only: string[] | null) {
    const inst = await ctx.instances.get(id);
    const p = await ctx.auth.require(c, "operator", id);
    const mods = requireModules(await report(id)).filter(
      (m) => LIVE_STATES.has(m.state) && !m.missing && (!only || only.includes(m.name)),
    );
    const sums = await currentChecksums(inst, mods, await opts());
    await store.record(id, sums, p.username);
    await ctx.audit(c, {
      action: "modules.record",
      target: inst.name,
      instanceId: id,
      result: "ok",
      details: { modules: sums.length },
    });
    return sums.length;
  }

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

  const pages = new Hono<Env>();
  pages.get("/i/:instance/modules", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    const r = await report(id);
    const filter = (c.req.query("filter") ?? "installed") as FilterName;
    const others = (await ctx.instances.list())
      .filter((i) => i.id !== id)
      .map((i) => ({ id: i.id, name: i.name }));
    const base = `/p/${ctx.id}/i/${id}/modules`;
    const b = await backupFirstInfo(id);
    const body = (
      <ModulesPage
        report={r}
        filter={filter in FILTERS ? filter : "installed"}
        base={base}
        others={others}
        backupBox={<BackupFirstBox readiness={b.readiness} defaultOn={b.defaultOn} />}
        recent={
          <RecentActions
            rows={await recentActions(id)}
            base={base}
            production={b.inst.production}
            instanceName={b.inst.name}
          />
        }
      />
    );
    return ctx.views.page(c, { title: `Modules · ${r.instanceName}`, body, instanceId: id });
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
  pages.get("/i/:instance/modules/:name", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    const mods = requireModules(await report(id));
    const all = new Map(mods.map((m) => [m.name, m]));
    const m = all.get(c.req.param("name"));
    if (!m) throw new AppError("E_NOT_FOUND", `No module "${c.req.param("name")}"`);
    const body = <ModuleDetail m={m} all={all} base={`/p/${ctx.id}/i/${id}/modules`} />;
    return ctx.views.page(c, { title: `Module ${m.name}`, body, instanceId: id });
  });
  pages.get("/i/:instance/compare", async (c) => {
    const id = instanceId(c);
    const other = instanceId(c, "with");
    await ctx.auth.require(c, "viewer", id);
    await ctx.auth.require(c, "viewer", other);
    const [l, r] = await Promise.all([report(id), report(other)]);
    const body = (
      <ComparePage
        left={l.instanceName}
        right={r.instanceName}
        cmp={compareModules(requireModules(l), requireModules(r))}
      />
    );
    return ctx.views.page(c, {
      title: `Modules: ${l.instanceName} vs ${r.instanceName}`,
      body,
      instanceId: id,
    });
  });
  pages.post("/i/:instance/modules/action", async (c) => {
    const id = instanceId(c);
    const op = await action(c, id, (await c.req.parseBody()) as Record<string, unknown>);
    // The action's page follows the operation and offers the rollback if it fails.
    const to = actionPath(id, op.id);
    if (c.req.header("HX-Request")) return c.body(null, 204, { "HX-Redirect": to });
    return c.redirect(to, 303);
  });
  pages.post("/i/:instance/modules/record", async (c) => {
    const id = instanceId(c);
    const n = await recordDeployed(c, id, null);
    return ctx.views.page(c, {
      title: "Checksums recorded",
      instanceId: id,
      flash: { kind: "ok", message: `Recorded the files of ${n} module(s) as deployed` },
      body: <a href={`/p/${ctx.id}/i/${id}/modules`}>Back to the modules</a>,
    });
  });

  const api = new Hono<Env>();
  api.get("/i/:instance", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    const r = await report(id);
    requireModules(r);
    return ok(c, r);
  });
  api.get("/compare", async (c) => {
    const left = instanceId(c, "left");
    const right = instanceId(c, "right");
    await ctx.auth.require(c, "viewer", left);
    await ctx.auth.require(c, "viewer", right);
    const [l, r] = await Promise.all([report(left), report(right)]);
    return ok(c, {
      left: l.instanceName,
      right: r.instanceName,
      ...compareModules(requireModules(l), requireModules(r)),
    });
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
  api.post("/i/:instance/record", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { modules?: string[] };
    const n = await recordDeployed(c, instanceId(c), Array.isArray(body.modules) ? body.modules : null);
    return ok(c, { recorded: n });
  });
  return { pages, api };
}
