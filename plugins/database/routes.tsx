import { Hono } from "hono";
import {
  AppError,
  type AppContext,
  type Env,
  type ErrorCode,
  instanceRoute,
  type odoo,
  ok,
  toAppError,
} from "../../server/sdk/index.ts";
import { loadDatabaseReport } from "./load-report.ts";
import { cancelQuery } from "./maintenance.ts";
import { startDropRollback, startVacuum } from "./operations.ts";
import type { DatabaseCtx } from "./settings.ts";
import { type VacuumTarget, vacuumTarget } from "./vacuum.ts";
import { DatabasePage } from "./views/database-page.tsx";
import { DATABASE_PARTS, DatabasePart, isDatabasePart } from "./views/database-parts.tsx";

type Body = Record<string, unknown>;

export function databaseRoutes(ctx: DatabaseCtx) {
  /** Runs a maintenance action on the route's instance with one audit entry whatever the outcome. */
  const audited = <T,>(c: AppContext, action: string, target: string, fn: () => Promise<T>) =>
    ctx.audit.wrap(c, { action, target, instanceId: c.var.instance.id }, fn);

  /**
   * VACUUM ANALYZE runs as an operation (a big table takes minutes); an unknown table or one the
   * role may not vacuum is refused at once. Audited when it starts and when it ends.
   */
  async function vacuum(c: AppContext, b: Body) {
    const table = String(b.table ?? "");
    const p = c.get("principal")!;
    const inst = c.var.instance;
    const id = inst.id;
    let db: odoo.OdooDb;
    let target: VacuumTarget;
    try {
      db = (await inst.odoo()).db;
      target = await vacuumTarget(db, table);
    } catch (e) {
      // Only a refusal is recorded here; a started vacuum is recorded when it starts and ends.
      const code = toAppError(e).code;
      await ctx.audit(c, {
        action: "database.vacuum",
        target: table,
        instanceId: id,
        result: "error",
        details: { code },
      });
      throw e;
    }
    const op = startVacuum(ctx, inst, db, target, table, p.username);
    void op.done.then((snap) =>
      ctx.audit(
        { actor: p.username },
        {
          action: "database.vacuum",
          target: table,
          instanceId: id,
          result: snap.status === "ok" ? "ok" : "error",
          details: { operationId: op.id, status: snap.status, code: snap.error?.code },
        },
      ),
    );
    await ctx.audit(c, {
      action: "database.vacuum.start",
      target: table,
      instanceId: id,
      result: "ok",
      details: { operationId: op.id },
    });
    return { operationId: op.id, table };
  }
  const cancel = (c: AppContext, b: Body) =>
    audited(c, "database.cancel_query", `pid ${b.pid}`, async () =>
      cancelQuery((await c.var.instance.odoo()).db, b.pid as string),
    );
  /** Admin, the copy's name typed, and the instance lock (not while a restore or upgrade runs). */
  const drop = async (c: AppContext, b: Body) => {
    const name = String(b.name ?? "");
    const p = c.get("principal")!;
    const inst = c.var.instance;
    return audited(c, "database.drop_rollback", name, async () => {
      if (String(b.confirm ?? "").trim() !== name || !name)
        throw new AppError("E_CONFIRMATION", `Type "${name}" to confirm dropping it`, {
          hint: "Dropping a database cannot be undone",
        });
      const op = await startDropRollback(ctx, inst, name, p.username);
      const snap = await op.done;
      if (snap.status !== "ok" || !snap.result) {
        const err = snap.error ?? { code: "E_INTERNAL", message: "The drop did not finish" };
        throw new AppError(err.code as ErrorCode, err.message, { hint: err.hint });
      }
      return { ...(snap.result as { dropped: string; filestoreRemoved: boolean }), operationId: op.id };
    });
  };

  const pages = new Hono<Env>();
  const base = (id: number) => `/p/${ctx.id}/i/${id}/database`;
  const render = async (
    c: AppContext,
    id: number,
    flash: { kind: "ok" | "error"; message: string } | null = null,
    started: { operationId: string; what: string } | null = null,
  ) => {
    const inst = c.var.instance;
    const notice = started ? (
      <p class="flash flash-info" id="operation-started">
        {started.what} started: <a href={`/operations/${started.operationId}`}>follow it</a>
      </p>
    ) : null;
    const body = <DatabasePage base={base(id)} notice={notice} />;
    return ctx.views.page(c, { title: `Database · ${inst.name}`, body, instanceId: id, flash });
  };
  const viewer = instanceRoute(ctx, "viewer");
  const operator = instanceRoute(ctx, "operator");
  const admin = instanceRoute(ctx, "admin");
  pages.get("/i/:instance/database/part/:part", viewer, async (c) => {
    const id = c.var.instance.id;
    const part = c.req.param("part");
    if (!isDatabasePart(part)) throw new AppError("E_NOT_FOUND", `No part "${part}" on the Database tab`);
    const r = await loadDatabaseReport(c.var.instance, DATABASE_PARTS[part].sections);
    const { longQuerySeconds } = await ctx.settings();
    return c.html(<DatabasePart part={part} r={r} base={base(id)} longSeconds={longQuerySeconds} />);
  });
  pages.get("/i/:instance/database", viewer, (c) => render(c, c.var.instance.id));
  pages.post("/i/:instance/database/vacuum", operator, async (c) => {
    const r = await vacuum(c, await c.req.parseBody());
    return render(c, c.var.instance.id, null, {
      operationId: r.operationId,
      what: `VACUUM ANALYZE ${r.table}`,
    });
  });
  pages.post("/i/:instance/database/cancel", operator, async (c) => {
    const r = await cancel(c, await c.req.parseBody());
    return render(c, c.var.instance.id, { kind: "ok", message: `Cancel sent to pid ${r.pid}` });
  });
  pages.post("/i/:instance/database/drop-rollback", admin, async (c) => {
    const r = await drop(c, await c.req.parseBody());
    return render(c, c.var.instance.id, { kind: "ok", message: `Dropped ${r.dropped}` });
  });

  const api = new Hono<Env>();
  const json = async (c: AppContext): Promise<Body> => (await c.req.json().catch(() => ({}))) as Body;
  api.get("/i/:instance", viewer, async (c) => ok(c, await loadDatabaseReport(c.var.instance)));
  api.post("/i/:instance/vacuum", operator, async (c) => ok(c, await vacuum(c, await json(c))));
  api.post("/i/:instance/cancel", operator, async (c) => ok(c, await cancel(c, await json(c))));
  api.post("/i/:instance/drop-rollback", admin, async (c) => ok(c, await drop(c, await json(c))));
  return { pages, api };
}
