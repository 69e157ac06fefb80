/**
 * Restore tests: the page (/p/backup/i/:instance/restore-tests), run now, the per-instance
 * schedule (one `backup.restore-test` schedule per instance, through ctx.jobs), and JSON at
 * /api/v1/backup/i/:instance/restore-tests. Running and scheduling are the operations
 * backup.restore-test and backup.restore-test.schedule|unschedule: operator on the instance AND on
 * the target whose cluster gets the scratch copy, audited by the executor as on REST, CLI and MCP.
 */
import { Hono } from "hono";
import { type AppContext, AppError, type Env, ok, type PluginContext } from "../../../server/sdk/index.ts";
import { instanceFor, visibleInstances } from "./access.ts";
import type { RestoreTests } from "../restore-tests/restore-tests.ts";
import type { BackupSettings } from "../settings.ts";
import { RestoreTestsPage } from "../views/restore-tests-page.tsx";

type Ctx = PluginContext<BackupSettings>;
const JOB = "restore-test";

const idOf = (c: AppContext, name: string): number => {
  const id = Number(c.req.param(name));
  if (!Number.isInteger(id) || id <= 0) throw new AppError("E_VALIDATION", `Invalid ${name} id`);
  return id;
};

/** The target of a form or JSON body as the operations' `target`; empty: the instance itself. */
function targetOf(body: Record<string, unknown>): { target?: unknown } {
  const raw = body.target;
  if (raw == null || raw === "") return {};
  return { target: /^\d+$/.test(String(raw)) ? Number(raw) : raw };
}

export function restoreTestRoutes(ctx: Ctx, tests: RestoreTests) {
  const pages = new Hono<Env>();
  const api = new Hono<Env>();

  const scheduleOf = async (instanceId: number) =>
    (await ctx.jobs.schedules({ job: JOB, instanceId }))[0] ?? null;

  /** The operation backup.restore-test (operator on the instance and on the target, audited). */
  async function runNow(c: AppContext, body: Record<string, unknown>) {
    const r = await ctx.operations.invoke(c, "backup.restore-test", {
      instance: c.req.param("instance"),
      ...targetOf(body),
    });
    return r.data as { operationId: string; testId: number };
  }

  /** Replaces the instance's restore-test schedule: the operation backup.restore-test.schedule. */
  async function saveSchedule(c: AppContext, body: Record<string, unknown>) {
    const input = {
      instance: c.req.param("instance"),
      cron: String(body.cron ?? "").trim(),
      ...(body.timezone ? { timezone: String(body.timezone).trim() } : {}),
      ...targetOf(body),
    };
    const r = await ctx.operations.invoke(c, "backup.restore-test.schedule", input);
    return (r.data as { schedule: unknown }).schedule;
  }

  async function removeSchedule(c: AppContext) {
    const r = await ctx.operations.invoke(c, "backup.restore-test.unschedule", {
      instance: c.req.param("instance"),
    });
    return (r.data as { removed: number }).removed;
  }

  async function page(
    c: AppContext,
    flash: { kind: "ok" | "error"; message: string; hint?: string } | null,
    status = 200,
  ) {
    const id = idOf(c, "instance");
    const { inst, p } = await instanceFor(ctx, c, id, "viewer");
    const res = await ctx.views.page(c, {
      title: `Restore tests · ${inst.name}`,
      instanceId: id,
      flash,
      body: (
        <RestoreTestsPage
          inst={inst}
          instances={await visibleInstances(ctx, p)}
          targets={await visibleInstances(ctx, p, "operator")}
          tests={await tests.store.list(id, 50)}
          lastOk={await tests.store.lastOk(id)}
          last={await tests.store.lastFinished(id)}
          schedule={await scheduleOf(id)}
          canRun={await ctx.auth.can(p, "operator", id)}
        />
      ),
    });
    return status === 200 ? res : new Response(res.body, { status, headers: res.headers });
  }

  pages.get("/i/:instance/restore-tests", (c) => {
    const saved = c.req.query("saved");
    return page(
      c,
      saved ? { kind: "ok", message: saved === "removed" ? "Schedule removed." : "Schedule saved." } : null,
    );
  });
  pages.post("/i/:instance/restore-tests", async (c) => {
    const r = await runNow(c, await c.req.parseBody());
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  pages.post("/i/:instance/restore-tests/schedule", async (c) => {
    try {
      await saveSchedule(c, await c.req.parseBody());
    } catch (e) {
      if (e instanceof AppError && e.code === "E_VALIDATION")
        return page(c, { kind: "error", message: e.message, hint: e.hint }, 400);
      throw e;
    }
    return c.redirect(`/p/backup/i/${idOf(c, "instance")}/restore-tests?saved=1`, 303);
  });
  pages.post("/i/:instance/restore-tests/schedule/delete", async (c) => {
    await removeSchedule(c);
    return c.redirect(`/p/backup/i/${idOf(c, "instance")}/restore-tests?saved=removed`, 303);
  });

  api.get("/i/:instance/restore-tests", async (c) => {
    const id = idOf(c, "instance");
    await instanceFor(ctx, c, id, "viewer");
    return ok(c, {
      tests: await tests.store.list(id, Number(c.req.query("limit") ?? 50) || 50),
      lastVerifiedRestore: await tests.lastVerifiedRestore(id),
      schedule: await scheduleOf(id),
    });
  });
  api.post("/i/:instance/restore-tests", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const r = await runNow(c, body);
    if (body.wait) return ok(c, { operationId: r.operationId, test: await tests.finished(r.testId) });
    return ok(c, { operationId: r.operationId, testId: r.testId });
  });
  api.put("/i/:instance/restore-tests/schedule", async (c) =>
    ok(c, {
      schedule: await saveSchedule(c, (await c.req.json().catch(() => ({}))) as Record<string, unknown>),
    }),
  );
  api.delete("/i/:instance/restore-tests/schedule", async (c) => ok(c, { removed: await removeSchedule(c) }));
  api.get("/restore-tests/:test", async (c) => {
    const t = await tests.store.get(idOf(c, "test"));
    const p = c.get("principal");
    // Another instance's test answers as a missing one.
    if (!t || !(await ctx.auth.can(p, "viewer", t.instanceId)))
      throw new AppError("E_NOT_FOUND", "This restore test does not exist");
    return ok(c, { test: t });
  });
  return { pages, api };
}
