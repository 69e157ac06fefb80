/**
 * Neutralization reports of the databases restores and copies made:
 * page /p/backup/i/:instance/neutralization/:db, JSON /api/v1/backup/i/:instance/neutralization[/:db].
 */
import { Hono } from "hono";
import {
  type AppContext,
  AppError,
  type Env,
  instanceRoute,
  ok,
  type PluginContext,
} from "../../../server/sdk/index.ts";
import type { NeutralizeReportStore } from "../neutralize/neutralize-report-store.ts";
import { NeutralizeReportPage } from "../views/neutralize-report-view.tsx";

export function neutralizeRoutes(
  ctx: PluginContext,
  store: NeutralizeReportStore,
): { pages: Hono<Env>; api: Hono<Env> } {
  const pages = new Hono<Env>();
  const api = new Hono<Env>();

  // instanceRoute resolves :instance (id or name) and checks the viewer role: c.var.instance.
  const viewer = instanceRoute(ctx, "viewer");

  async function one(c: AppContext) {
    const inst = c.var.instance;
    const dbName = c.req.param("db") ?? "";
    const rec = await store.get(inst.id, dbName);
    if (!rec)
      throw new AppError("E_NOT_FOUND", `No neutralization report for database ${dbName} of ${inst.name}`, {
        hint: "A report is kept for each database a neutralized restore or copy published.",
      });
    return { inst, rec };
  }

  pages.get("/i/:instance/neutralization/:db", viewer, async (c) => {
    const { inst, rec } = await one(c);
    return ctx.views.page(c, {
      title: `Neutralization of ${rec.dbName} · ${inst.name}`,
      instanceId: inst.id,
      body: <NeutralizeReportPage inst={inst} rec={rec} />,
    });
  });
  api.get("/i/:instance/neutralization", viewer, async (c) => ok(c, await store.list(c.var.instance.id)));
  api.get("/i/:instance/neutralization/:db", viewer, async (c) => ok(c, (await one(c)).rec));
  return { pages, api };
}
