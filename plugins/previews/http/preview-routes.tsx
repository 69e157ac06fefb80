/** A preview's logs page (its Odoo's log and the install log) and its modules page. */
import { Hono } from "hono";
import { type Connection, type Env, masking } from "../../../server/sdk/index.ts";
import { paths } from "../build/runner.ts";
import type { PreviewsService } from "../service.ts";
import type { PreviewsCtx } from "../settings.ts";
import { instanceSide } from "../build/side.ts";
import { LogsPage, type ModuleRow, ModulesPage } from "../views/status.tsx";

/** The end of a text file on the server ("" when missing), secrets masked. */
async function tail(conn: Connection, path: string, lines: number): Promise<string> {
  if (!(await conn.stat(path))) return "";
  const res = await conn.exec(["tail", "-n", String(lines), "--", path]);
  return masking.maskText(res.stdout);
}

export function previewSubPages(ctx: PreviewsCtx, svc: PreviewsService) {
  const app = new Hono<Env>();

  app.get("/:name/logs", async (c) => {
    const p = await svc.get(c.req.param("name"));
    await ctx.auth.require(c, "viewer", p.instanceId);
    const conn = await (await ctx.instances.get(p.instanceId)).connection();
    const at = paths(p.workDir);
    const [log, initLog] = await Promise.all([tail(conn, at.log, 500), tail(conn, at.initLog, 500)]);
    return ctx.views.page(c, {
      title: `Logs of preview ${p.name}`,
      body: <LogsPage p={p} log={log} initLog={initLog} back={`/p/previews/${p.name}`} />,
    });
  });

  app.get("/:name/modules", async (c) => {
    const p = await svc.get(c.req.param("name"));
    await ctx.auth.require(c, "viewer", p.instanceId);
    const side = await instanceSide(await ctx.instances.get(p.instanceId), await ctx.settings());
    const names = Object.keys(p.modules ?? {});
    // The preview's database says what is installed; a dropped or broken one shows "unknown".
    const states = await side.db
      .withDatabase(p.dbName)
      .query<{ name: string; state: string; latest_version: string | null }>(
        `SELECT name, state, latest_version FROM ir_module_module WHERE name = ANY(string_to_array(:'m', ','))`,
        { m: names.join(",") },
      )
      .catch(() => null);
    const rows: ModuleRow[] = names.map((name) => {
      const r = states?.find((s) => s.name === name);
      return {
        name,
        hash: p.modules?.[name] ?? "",
        state: r?.state ?? (states ? "not in the database" : "unknown"),
        version: r?.latest_version ?? null,
      };
    });
    return ctx.views.page(c, {
      title: `Modules of preview ${p.name}`,
      body: <ModulesPage p={p} rows={rows} back={`/p/previews/${p.name}`} />,
    });
  });
  return app;
}
