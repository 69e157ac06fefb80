import { Hono } from "hono";
import { type AppContext, AppError, type Env, ok, type PluginContext } from "../../../server/sdk/index.ts";
import { backupFor, instanceFor } from "./access.ts";
import { parseDestinationIds, resolveDestination } from "../destinations/resolve.ts";
import { type DownloadAs, downloadResponse } from "../copies/download.ts";
import { planRetention } from "../copies/retention.ts";
import type { BackupService } from "../service.ts";
import type { BackupSettings } from "../settings.ts";
import { type BackupRecord, isVerified } from "../store.ts";
import { NeutralizeReportStore } from "../neutralize/neutralize-report-store.ts";
import { RestoreTestStore } from "../restore-tests/restore-test-store.ts";
import { BackupsPage, type DestinationChoice } from "../views/backups-page.tsx";
import { NeutralizedDatabases } from "../views/neutralize-report-view.tsx";
import { RestoreTestLine } from "../views/restore-tests-page.tsx";

type Ctx = PluginContext<BackupSettings>;

const downloadAs = (v: string | undefined): DownloadAs => {
  if (v === undefined || v === "" || v === "stored") return "stored";
  if (v === "odoo-zip") return "odoo-zip";
  throw new AppError("E_VALIDATION", `Unknown download format ${JSON.stringify(v)}`, {
    hint: 'Leave "as" out for the backup as stored, or give as=odoo-zip',
  });
};

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

/** What the backup form offers: this machine, S3 when configured, and the servers of instances. */
async function destinationChoices(
  ctx: Ctx,
  s: Awaited<ReturnType<Ctx["settings"]>>,
): Promise<DestinationChoice[]> {
  const out: DestinationChoice[] = [
    { id: "local", label: `This machine (${s.localDir || "the data folder's backups/"})` },
  ];
  if (s.s3Endpoint && s.s3Bucket) out.push({ id: "s3", label: `S3 bucket ${s.s3Bucket}` });
  const seen = new Set<number>();
  for (const i of await ctx.instances.list()) {
    if (seen.has(i.serverId) || i.serverKind === "local") continue;
    seen.add(i.serverId);
    out.push({ id: `server:${i.id}`, label: `Server ${i.serverName} (${s.serverDir})` });
  }
  return out;
}

export function backupRoutes(ctx: Ctx, svc: BackupService) {
  const pages = new Hono<Env>();
  const api = new Hono<Env>();

  const getBackup = (c: AppContext, role: "viewer" | "operator") =>
    backupFor(ctx, c, idParam(c, "backup"), role);

  /**
   * backup.create (ops/backup-ops.ts) for the instance of the URL: role, lock and the audit entry
   * are the executor's, the same as on REST /ops, the CLI and MCP. A blank field is the default.
   */
  async function create(c: AppContext, body: Record<string, unknown>) {
    const blank = (v: unknown) => (v === "" || v == null ? undefined : v);
    const d = blank(body.destinations);
    const input = Object.fromEntries(
      Object.entries({
        instance: c.req.param("instance"),
        scope: blank(body.scope),
        format: blank(body.format),
        destinations: typeof d === "string" ? parseDestinationIds(d) : d,
      }).filter(([, v]) => v !== undefined),
    );
    const r = await ctx.operations.invoke(c, "backup.create", input);
    return r.data as { operationId: string; backupId: number; name: string };
  }

  /** backup.verify (ops/change-ops.ts): another instance's backup answers as a missing one. */
  async function verify(c: AppContext) {
    const r = await ctx.operations.invoke(c, "backup.verify", { backup: idParam(c, "backup") });
    return r.data as { operationId: string };
  }

  /** A new backup once it is settled (backup.finished), for `wait: true`. */
  function createdWhenDone(backupId: number) {
    return new Promise<BackupRecord | null>((resolve, reject) => {
      const off = ctx.events.on("backup.finished", async (e) => {
        if (e.backupId !== backupId) return;
        off();
        resolve(await svc.store.get(backupId));
      });
      svc.store.get(backupId).then((b) => {
        if (b && b.status === "running") return;
        off();
        resolve(b);
      }, reject);
    });
  }
  /** A backup once its verification has ended, for `wait: true`. */
  async function verifiedWhenDone(operationId: string, backupId: number) {
    await ctx.operations.finished(operationId);
    return svc.store.get(backupId);
  }

  pages.get("/i/:instance/backups", async (c) => {
    const id = idParam(c, "instance");
    const { inst, p } = await instanceFor(ctx, c, id, "viewer");
    const backups = await svc.store.list(id);
    const canRun = await ctx.auth.can(p, "operator", id);
    const s = await ctx.settings();
    const [schedule] = await ctx.jobs.schedules({ job: "backup.scheduled", instanceId: id });
    const tests = new RestoreTestStore(ctx.db);
    return ctx.views.page(c, {
      title: `Backups · ${inst.name}`,
      instanceId: id,
      body: (
        <>
          <BackupsPage
            inst={inst}
            backups={backups}
            canRun={canRun}
            destinations={await destinationChoices(ctx, s)}
            defaultDestinations={parseDestinationIds(s.defaultDestinations)}
            plan={await retentionPlan(ctx, backups)}
            schedule={schedule ?? null}
            keep={{ daily: s.keepDaily, weekly: s.keepWeekly, monthly: s.keepMonthly }}
            restoreLine={
              <RestoreTestLine lastOk={await tests.lastOk(id)} last={await tests.lastFinished(id)} />
            }
          />
          <NeutralizedDatabases records={await new NeutralizeReportStore(ctx.db).list(id)} />
        </>
      ),
    });
  });
  // backup.schedule.set: the form turns the default schedule on (one already there is kept).
  pages.post("/i/:instance/schedule", async (c) => {
    const id = idParam(c, "instance");
    await ctx.operations.invoke(c, "backup.schedule.set", { instance: id });
    return c.redirect(`/p/backup/i/${id}/backups`, 303);
  });
  pages.post("/i/:instance/backups", async (c) => {
    // The destinations are checkboxes: one value or several.
    const body = await c.req.parseBody({ all: true });
    const one = (v: unknown) => (Array.isArray(v) ? v[0] : v);
    const r = await create(c, {
      scope: one(body.scope),
      format: one(body.format),
      destinations: [body.destinations ?? []].flat().map(String).filter(Boolean),
    });
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  pages.post("/backups/:backup/verify", async (c) =>
    c.redirect(`/operations/${(await verify(c)).operationId}`, 303),
  );
  /** The download, audited whether it starts or is refused (a missing object, no good copy). */
  const download = async (c: AppContext, b: BackupRecord) => {
    const as = downloadAs(c.req.query("as"));
    const entry = { action: "backup.download", target: b.name, instanceId: b.instanceId, details: { as } };
    try {
      const res = await downloadResponse(b, (d) => resolveDestination(ctx, d), as);
      await ctx.audit(c, { ...entry, result: "ok" });
      return res;
    } catch (e) {
      await ctx.audit(c, { ...entry, result: "error" });
      throw e;
    }
  };
  pages.get("/backups/:backup/download", async (c) => {
    const { b } = await getBackup(c, "operator"); // a dump holds every secret of the database
    return download(c, b);
  });

  api.get("/instances/:instance/backups", async (c) => {
    const id = idParam(c, "instance");
    await instanceFor(ctx, c, id, "viewer");
    return ok(c, { backups: await svc.store.list(id) });
  });
  api.post("/instances/:instance/backups", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const r = await create(c, body);
    if (body.wait) return ok(c, { operationId: r.operationId, backup: await createdWhenDone(r.backupId) });
    return ok(c, { operationId: r.operationId, backupId: r.backupId, name: r.name });
  });
  api.get("/backups/:backup", async (c) => ok(c, { backup: (await getBackup(c, "viewer")).b }));
  api.post("/backups/:backup/verify", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    const r = await verify(c);
    if (body.wait)
      return ok(c, {
        operationId: r.operationId,
        backup: await verifiedWhenDone(r.operationId, idParam(c, "backup")),
      });
    return ok(c, { operationId: r.operationId });
  });
  api.get("/backups/:backup/download", async (c) => {
    const { b } = await getBackup(c, "operator");
    return download(c, b);
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
