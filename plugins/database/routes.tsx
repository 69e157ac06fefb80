import { Hono } from "hono";
import { AppError, type AppContext, type Env, type InstanceHandle, ok } from "../../server/sdk/index.ts";
import { loadDatabaseReport } from "./load-report.ts";
import { cancelQuery, dropRollbackCopy, vacuumTable } from "./maintenance.ts";
import type { DatabaseCtx } from "./settings.ts";
import { DatabasePage } from "./views/database-page.tsx";

type Body = Record<string, unknown>;

const instanceId = (c: AppContext): number => {
  const id = Number(c.req.param("instance"));
  if (!Number.isInteger(id) || id <= 0) throw new AppError("E_VALIDATION", "Invalid instance id");
  return id;
};

export function databaseRoutes(ctx: DatabaseCtx) {
  /** Runs a maintenance action with its role check and an audit entry whatever the outcome. */
  async function act<T>(
    c: AppContext,
    id: number,
    action: string,
    target: (inst: InstanceHandle) => string,
    authorize: (inst: InstanceHandle) => Promise<unknown>,
    fn: (db: Awaited<ReturnType<InstanceHandle["odoo"]>>["db"]) => Promise<T>,
  ): Promise<T> {
    const inst = await ctx.instances.get(id);
    await authorize(inst);
    try {
      const result = await fn((await inst.odoo()).db);
      await ctx.audit(c, { action, target: target(inst), instanceId: id, result: "ok" });
      return result;
    } catch (e) {
      const code = (e as AppError).code ?? "E_INTERNAL";
      await ctx.audit(c, {
        action,
        target: target(inst),
        instanceId: id,
        result: "error",
        details: { code },
      });
      throw e;
    }
  }

  const vacuum = (c: AppContext, id: number, b: Body) =>
    act(
      c,
      id,
      "database.vacuum",
      () => String(b.table ?? ""),
      () => ctx.auth.require(c, "operator", id),
      (db) => vacuumTable(db, String(b.table ?? "")),
    );
  const cancel = (c: AppContext, id: number, b: Body) =>
    act(
      c,
      id,
      "database.cancel_query",
      () => `pid ${b.pid}`,
      () => ctx.auth.require(c, "operator", id),
      (db) => cancelQuery(db, b.pid as string),
    );
  const drop = (c: AppContext, id: number, b: Body) => {
    const name = String(b.name ?? "");
    return act(
      c,
      id,
      "database.drop_rollback",
      () => name,
      () => ctx.auth.require(c, "admin", id),
      async (db) => {
        // Inside the audited part: a refused confirmation is recorded too.
        if (String(b.confirm ?? "").trim() !== name || !name)
          throw new AppError("E_CONFIRMATION", `Type "${name}" to confirm dropping it`, {
            hint: "Dropping a database cannot be undone",
          });
        return dropRollbackCopy(db, name);
      },
    );
  };

  const pages = new Hono<Env>();
  const base = (id: number) => `/p/${ctx.id}/i/${id}/database`;
  const render = async (
    c: AppContext,
    id: number,
    flash: { kind: "ok" | "error"; message: string } | null = null,
  ) => {
    const r = await loadDatabaseReport(await ctx.instances.get(id));
    const { longQuerySeconds } = await ctx.settings();
    const body = <DatabasePage r={r} base={base(id)} longSeconds={longQuerySeconds} />;
    return ctx.views.page(c, { title: `Database · ${r.instanceName}`, body, instanceId: id, flash });
  };
  pages.get("/i/:instance/database", async (c) => {
    const id = instanceId(c);
    await ctx.auth.require(c, "viewer", id);
    return render(c, id);
  });
  pages.post("/i/:instance/database/vacuum", async (c) => {
    const id = instanceId(c);
    const r = await vacuum(c, id, await c.req.parseBody());
    return render(c, id, { kind: "ok", message: `VACUUM ANALYZE ${r.table} done` });
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
