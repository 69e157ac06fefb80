import { Hono } from "hono";
import { type AppContext, AppError, type Env, ok, type PluginContext } from "../../server/sdk/index.ts";
import { backupFor, instanceFor } from "./access.ts";
import { resolveDestination } from "./destinations/resolve.ts";
import { downloadResponse } from "./download.ts";
import { planRetention } from "./retention.ts";
import type { BackupService } from "./service.ts";
import type { BackupSettings } from "./settings.ts";
import { type BackupRecord, isVerified } from "./store.ts";
import { BackupsPage } from "./views/backups-page.tsx";

type Ctx = PluginContext<BackupSettings>;

const idParam = (c: AppContext, name: string): number => {
  const id = Number(c.req.param(name));
  if (!Number.isInteger(id) || id <= 0) throw new AppError("E_VALIDATION", `Invalid ${name} id`);
  return id;
};

export async function retentionPlan(ctx: Ctx, backups: BackupRecord[]) {
  const s = await ctx.settings();
  const good = backups.filter((b) => b.status === "ok");
  return planRetention(
    good,
    { daily: s.keepDaily, weekly: s.keepWeekly, monthly: s.keepMonthly, keepMin: 1 },
    new Date(),
    isVerified,
  );
}

export function backupRoutes(ctx: Ctx, svc: BackupService) {
  const pages = new Hono<Env>();
  const api = new Hono<Env>();

  const getBackup = (c: AppContext, role: "viewer" | "operator") =>
    backupFor(ctx, c, idParam(c, "backup"), role);

  async function create(c: AppContext, body: Record<string, unknown>) {
    const id = idParam(c, "instance");
    const { inst, p } = await instanceFor(ctx, c, id, "operator");
    const input = {
      scope: String(body.scope ?? ""),
      format: String(body.format ?? ""),
      destinations: body.destinations as string | string[] | undefined,
    };
    try {
      const r = await svc.create(id, input, p.username);
      await ctx.audit(c, {
        action: "backup.create",
        target: r.name,
        instanceId: id,
        result: "ok",
        details: {
          scope: input.scope || "full",
          format: input.format || "native",
          operationId: r.operationId,
        },
      });
      return r;
    } catch (e) {
      await ctx.audit(c, {
        action: "backup.create",
        target: inst.name,
        instanceId: id,
        result: "error",
        details: { error: (e as Error).message },
      });
      throw e;
    }
  }

  async function verify(c: AppContext) {
    const { b, p } = await getBackup(c, "operator");
    const r = await svc.verify(b.id, p.username);
    await ctx.audit(c, {
      action: "backup.verify",
      target: b.name,
      instanceId: b.instanceId,
      result: "ok",
      details: { operationId: r.operationId },
    });
    return r;
  }

  pages.get("/i/:instance/backups", async (c) => {
    const id = idParam(c, "instance");
    const { inst, p } = await instanceFor(ctx, c, id, "viewer");
    const backups = await svc.store.list(id);
    const canRun = await ctx.auth.can(p, "operator", id);
    return ctx.views.page(c, {
      title: `Backups · ${inst.name}`,
      instanceId: id,
      body: (
        <BackupsPage
          inst={inst}
          backups={backups}
          canRun={canRun}
          defaultDestinations={(await ctx.settings()).defaultDestinations}
          plan={await retentionPlan(ctx, backups)}
        />
      ),
    });
  });
  pages.post("/i/:instance/backups", async (c) => {
    const r = await create(c, await c.req.parseBody());
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  pages.post("/backups/:backup/verify", async (c) =>
    c.redirect(`/operations/${(await verify(c)).operationId}`, 303),
  );
  pages.get("/backups/:backup/download", async (c) => {
    const { b } = await getBackup(c, "operator"); // a dump holds every secret of the database
    await ctx.audit(c, { action: "backup.download", target: b.name, instanceId: b.instanceId, result: "ok" });
    return downloadResponse(b, (d) => resolveDestination(ctx, d));
  });

  api.get("/instances/:instance/backups", async (c) => {
    const id = idParam(c, "instance");
    await instanceFor(ctx, c, id, "viewer");
    return ok(c, { backups: await svc.store.list(id) });
  });
  api.post("/instances/:instance/backups", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const r = await create(c, body);
    if (body.wait) return ok(c, { operationId: r.operationId, backup: await r.done });
    r.done.catch(() => {});
    return ok(c, { operationId: r.operationId, backupId: r.backupId, name: r.name });
  });
  api.get("/backups/:backup", async (c) => ok(c, { backup: (await getBackup(c, "viewer")).b }));
  api.post("/backups/:backup/verify", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const r = await verify(c);
    if (body.wait) return ok(c, { operationId: r.operationId, backup: await r.done });
    return ok(c, { operationId: r.operationId });
  });
  api.get("/backups/:backup/download", async (c) => {
    const { b } = await getBackup(c, "operator");
    await ctx.audit(c, { action: "backup.download", target: b.name, instanceId: b.instanceId, result: "ok" });
    return downloadResponse(b, (d) => resolveDestination(ctx, d));
  });
  api.get("/instances/:instance/retention", async (c) => {
    const id = idParam(c, "instance");
    await instanceFor(ctx, c, id, "viewer");
    const plan = await retentionPlan(ctx, await svc.store.list(id));
    const view = (xs: { item: BackupRecord; reason: string }[]) =>
      xs.map((x) => ({ id: x.item.id, name: x.item.name, reason: x.reason }));
    return ok(c, { keep: view(plan.keep), delete: view(plan.delete) });
  });
  return { pages, api };
}
