import { Hono } from "hono";
import {
  AppError,
  type AppContext,
  type Env,
  type ErrorCode,
  type odoo,
  ok,
} from "../../server/sdk/index.ts";
import { loadDatabaseReport } from "./load-report.ts";
import { cancelQuery } from "./maintenance.ts";
import { startDropRollback, startVacuum } from "./operations.ts";
import type { DatabaseCtx } from "./settings.ts";
import { type VacuumTarget, vacuumTarget } from "./vacuum.ts";
import { DatabasePage } from "./views/database-page.tsx";
import { DATABASE_PARTS, DatabasePart, isDatabasePart } from "./views/database-parts.tsx";

type Body = Record<string, unknown>;

const instanceId = (c: AppContext): number => {
  const id = Number(c.req.param("instance"));
  if (!Number.isInteger(id) || id <= 0) throw new AppError("E_VALIDATION", "Invalid instance id");
  return id;
};

export function databaseRoutes(ctx: DatabaseCtx) {
  /** Runs a maintenance action with an audit entry whatever the outcome (refusals included). */
  async function audited<T>(c: AppContext, id: number, action: string, target: string, fn: () => Promise<T>) {
    try {
      const result = await fn();
      await ctx.audit(c, { action, target, instanceId: id, result: "ok" });
      return result;
    } catch (e) {
      const code = (e as AppError).code ?? "E_INTERNAL";
      await ctx.audit(c, { action, target, instanceId: id, result: "error", details: { code } });
      throw e;
    }
  }

  /**
   * VACUUM ANALYZE runs as an operation (a big table takes minutes); an unknown table or one the
   * role may not vacuum is refused at once. Audited when it starts and when it ends.
   */
  async function vacuum(c: AppContext, id: number, b: Body) {
    const table = String(b.table ?? "");
    const p = await ctx.auth.require(c, "operator", id);
    const inst = await ctx.instances.get(id);
    let db: odoo.OdooDb;
    let target: VacuumTarget;
    try {
      db = (await inst.odoo()).db;
      target = await vacuumTarget(db, table);
    } catch (e) {
      const code = (e as AppError).code ?? "E_INTERNAL";
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
  const cancel = async (c: AppContext, id: number, b: Body) => {
    await ctx.auth.require(c, "operator", id);
    const inst = await ctx.instances.get(id);
    return audited(c, id, "database.cancel_query", `pid ${b.pid}`, async () =>
      cancelQuery((await inst.odoo()).db, b.pid as string),
    );
  };
  /** Admin, the copy's name typed, and the instance lock (not while a restore or upgrade runs). */
  const drop = async (c: AppContext, id: number, b: Body) => {
    const name = String(b.name ?? "");
    const p = await ctx.auth.require(c, "admin", id);
    const inst = await ctx.instances.get(id);
    return audited(c, id, "database.drop_rollback", name, async () => {
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
    const inst = await ctx.instances.get(id);
    const notice = started ? (
      <p class="flash flash-info" id="operation-started">
        {started.what} started: <a href={`/operations/${started.operationId}`}>follow it</a>
      </p>
    ) : null;
    const body = <DatabasePage base={base(id)} notice={notice} />;
    return ctx.views.page(c, { title: `Database · ${inst.name}`, body, instanceId: id, flash });
  };
  pages.get("/i/:instance/database/part/:part", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    const part = c.req.param("part");
    if (!isDatabasePart(part)) throw new AppError("E_NOT_FOUND", `No part "${part}" on the Database tab`);
    const r = await loadDatabaseReport(await ctx.instances.get(id), DATABASE_PARTS[part].sections);
    const { longQuerySeconds } = await ctx.settings();
    return c.html(<DatabasePart part={part} r={r} base={base(id)} longSeconds={longQuerySeconds} />);
  });
  pages.get("/i/:instance/database", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    return render(c, id);
  });
  pages.post("/i/:instance/database/vacuum", async (c) => {
    const id = instanceId(c);
    const r = await vacuum(c, id, await c.req.parseBody());
    return render(c, id, null, { operationId: r.operationId, what: `VACUUM ANALYZE ${r.table}` });
  });
  pages.post("/i/:instance/database/cancel", async (c) => {
    const id = instanceId(c);
    const r = await cancel(c, id, await c.req.parseBody());
    return render(c, id, { kind: "ok", message: `Cancel sent to pid ${r.pid}` });
  });
  pages.post("/i/:instance/database/drop-rollback", async (c) => {
    const id = instanceId(c);
    const r = await drop(c, id, await c.req.parseBody());
    return render(c, id, { kind: "ok", message: `Dropped ${r.dropped}` });
  });

  const api = new Hono<Env>();
  const json = async (c: AppContext): Promise<Body> => (await c.req.json().catch(() => ({}))) as Body;
  api.get("/i/:instance", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    return ok(c, await loadDatabaseReport(await ctx.instances.get(id)));
  });
  api.post("/i/:instance/vacuum", async (c) => ok(c, await vacuum(c, instanceId(c), await json(c))));
  api.post("/i/:instance/cancel", async (c) => ok(c, await cancel(c, instanceId(c), await json(c))));
  api.post("/i/:instance/drop-rollback", async (c) => ok(c, await drop(c, instanceId(c), await json(c))));
  return { pages, api };
}
