import { Hono } from "hono";
import {
  AppError,
  type AppContext,
  type Env,
  type ErrorCode,
  instanceRoute,
  ok,
} from "../../server/sdk/index.ts";
import { loadDatabaseReport } from "./load-report.ts";
import type { DatabaseCtx } from "./settings.ts";
import { DatabasePage } from "./views/database-page.tsx";
import { DATABASE_PARTS, DatabasePart, isDatabasePart } from "./views/database-parts.tsx";

type Body = Record<string, unknown>;

/** A form's number (a pid) as a number; anything else as given, so the operation's validation names it. */
const num = (v: unknown) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v);

export function databaseRoutes(ctx: DatabaseCtx) {
  /**
   * The routes run the operations (operations.ts) for the instance of the URL: role, production
   * rule, confirmation, lock and the audit entry are the executor's, as on REST /ops, CLI and MCP.
   */
  const run = (c: AppContext, id: string, input: Body) =>
    ctx.operations.invoke(c, id, { ...input, instance: c.req.param("instance") });

  /** VACUUM ANALYZE runs as an operation (a big table takes minutes); answers at once with its id. */
  async function vacuum(c: AppContext, b: Body) {
    const r = await run(c, "database.vacuum", { table: String(b.table ?? "") });
    return r.data as { operationId: string; table: string };
  }
  const cancel = async (c: AppContext, b: Body) =>
    (await run(c, "database.cancel-query", { pid: num(b.pid) })).data as { pid: number; cancelled: boolean };
  /** Admin, the copy's name typed, and the instance lock; answers once the copy is gone. */
  const drop = async (c: AppContext, b: Body) => {
    const r = await run(c, "database.drop-rollback", { name: String(b.name ?? ""), confirm: b.confirm });
    const operationId = r.operationId!;
    const snap = await ctx.operations.finished(operationId);
    if (snap.status !== "ok" || !snap.result) {
      const err = snap.error ?? { code: "E_INTERNAL", message: "The drop did not finish" };
      throw new AppError(err.code as ErrorCode, err.message, { hint: err.hint });
    }
    return { ...(snap.result as { dropped: string; filestoreRemoved: boolean }), operationId };
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
  // The page actions resolve the instance for their answer; the operation checks the role.
  const viewer = instanceRoute(ctx, "viewer");
  pages.get("/i/:instance/database/part/:part", viewer, async (c) => {
    const id = c.var.instance.id;
    const part = c.req.param("part");
    if (!isDatabasePart(part)) throw new AppError("E_NOT_FOUND", `No part "${part}" on the Database tab`);
    const r = await loadDatabaseReport(c.var.instance, DATABASE_PARTS[part].sections);
    const { longQuerySeconds } = await ctx.settings();
    return c.html(<DatabasePart part={part} r={r} base={base(id)} longSeconds={longQuerySeconds} />);
  });
  pages.get("/i/:instance/database", viewer, (c) => render(c, c.var.instance.id));
  pages.post("/i/:instance/database/vacuum", viewer, async (c) => {
    const r = await vacuum(c, await c.req.parseBody());
    return render(c, c.var.instance.id, null, {
      operationId: r.operationId,
      what: `VACUUM ANALYZE ${r.table}`,
    });
  });
  pages.post("/i/:instance/database/cancel", viewer, async (c) => {
    const r = await cancel(c, await c.req.parseBody());
    return render(c, c.var.instance.id, { kind: "ok", message: `Cancel sent to pid ${r.pid}` });
  });
  pages.post("/i/:instance/database/drop-rollback", viewer, async (c) => {
    const r = await drop(c, await c.req.parseBody());
    return render(c, c.var.instance.id, { kind: "ok", message: `Dropped ${r.dropped}` });
  });

  const api = new Hono<Env>();
  const json = async (c: AppContext): Promise<Body> => (await c.req.json().catch(() => ({}))) as Body;
  api.get("/i/:instance", viewer, async (c) => ok(c, await loadDatabaseReport(c.var.instance)));
  api.post("/i/:instance/vacuum", async (c) => ok(c, await vacuum(c, await json(c))));
  api.post("/i/:instance/cancel", async (c) => ok(c, await cancel(c, await json(c))));
  api.post("/i/:instance/drop-rollback", async (c) => ok(c, await drop(c, await json(c))));
  return { pages, api };
}
