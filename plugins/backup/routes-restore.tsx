/**
 * Restore, copy, rollback copies and the streaming upload of an Odoo zip. Every destructive action
 * is a locking operation (a second one on the instance gets E_BUSY) and is audited.
 * Pages at /p/backup/i/:instance/restore, JSON at /api/v1/backup/i/:instance/….
 */
import { Hono } from "hono";
import {
  acceptsUpload,
  type AppContext,
  AppError,
  type Env,
  ok,
  type PluginContext,
} from "../../server/sdk/index.ts";
import { copyDatabase } from "./copy.ts";
import {
  authorizeRestore,
  checkNewDbName,
  neutralizeChoice,
  resolveSource,
  type TargetSide,
  targetSide,
} from "./restore-request.ts";
import { auditWhenDone, recordReport, startRestoreOperation } from "./restore-start.ts";
import { saveUpload } from "./restore-upload.ts";
import { withScratchClaim } from "./scratch-claims.ts";
import { dropRollback, listRollbacks } from "./swap.ts";
import { RestorePage } from "./restore-page.tsx";
import { BackupStore } from "./store.ts";

const instanceId = (c: AppContext): number => {
  const id = Number(c.req.param("instance"));
  if (!Number.isInteger(id) || id <= 0) throw new AppError("E_VALIDATION", "Invalid instance id");
  return id;
};

/** Answers once the operation holds the instance lock; a conflict reaches the caller as E_BUSY. */
async function started(ctx: PluginContext, op: { id: string; started: Promise<void> }) {
  await op.started;
  return { operationId: op.id, status: ctx.operations.get(op.id)?.status ?? "running" };
}

export function restoreRoutes(ctx: PluginContext): { pages: Hono<Env>; api: Hono<Env> } {
  const pages = new Hono<Env>();
  const api = new Hono<Env>();

  /**
   * Restore into the instance of the URL (target "instance"), a new database on its cluster
   * ("new"), or over another instance ("other:<id>", the restore page's third choice).
   */
  async function startRestore(c: AppContext, body: Record<string, unknown>) {
    const other = /^other:(\d+)$/.exec(String(body.target ?? ""));
    const inst = await ctx.instances.get(other ? Number(other[1]) : instanceId(c));
    const overwrite = body.target !== "new";
    const actor = await authorizeRestore(ctx, c, inst, overwrite, String(body.confirm ?? ""));
    const source = await resolveSource(ctx, body, actor);
    const t = await targetSide(inst);
    const newDb = overwrite ? null : checkNewDbName(String(body.dbName ?? ""));
    const neutralize = neutralizeChoice(body, t, overwrite);
    const { op, dbName } = startRestoreOperation(ctx, { t, source, newDb, neutralize, actor });
    await auditWhenDone(ctx, c, {
      actor,
      instanceId: inst.id,
      action: "backup.restore",
      target: source,
      done: op.done,
      details: { target: dbName, neutralize: !!neutralize },
    });
    return started(ctx, op);
  }

  /** Copy the instance of the URL into another instance (swap) or a new database on its cluster. */
  async function startCopy(c: AppContext, body: Record<string, unknown>) {
    const src = await ctx.instances.get(instanceId(c));
    await ctx.auth.require(c, "operator", src.id);
    const toInst = body.toInstance ? await ctx.instances.get(Number(body.toInstance)) : src;
    const overwrite = body.target !== "new";
    if (overwrite && toInst.id === src.id)
      throw new AppError("E_VALIDATION", "Copying an instance onto itself");
    const actor = await authorizeRestore(ctx, c, toInst, overwrite, String(body.confirm ?? ""));
    const [from, to]: [TargetSide, TargetSide] = [await targetSide(src), await targetSide(toInst)];
    if (!from.currentDb) throw new AppError("E_CONFIG", `${src.name} has no db_name`);
    const newDb = overwrite ? null : checkNewDbName(String(body.dbName ?? ""));
    const neutralize = neutralizeChoice(body, to, overwrite);
    const op = ctx.operations.start({
      kind: "copy",
      title: `Copy ${src.name} → ${newDb ?? toInst.name}`,
      instanceId: toInst.id,
      actor,
      lock: true,
      steps: ["copy"],
      run: (op) =>
        withScratchClaim(
          ctx.db,
          {
            instanceId: toInst.id,
            dbName: newDb ?? to.currentDb!,
            swapDb: newDb ? null : to.currentDb,
            owner: `copy of ${src.name} into ${toInst.name}`,
          },
          async () => {
            const result = await op.step("copy", (s) =>
              copyDatabase({
                from: { ...from, dbName: from.currentDb! },
                to,
                neutralize,
                signal: s.signal,
                log: s.log,
                promote: newDb
                  ? { kind: "new", dbName: newDb }
                  : { kind: "swap", currentDb: to.currentDb!, service: to.service },
              }),
            );
            await recordReport(ctx, toInst.id, op, result);
            return result;
          },
        ),
    });
    await auditWhenDone(ctx, c, {
      actor,
      instanceId: toInst.id,
      action: "backup.copy",
      target: src.name,
      done: op.done,
      details: { target: newDb ?? toInst.name },
    });
    return started(ctx, op);
  }

  async function rollbacks(c: AppContext) {
    const inst = await ctx.instances.get(instanceId(c));
    await ctx.auth.require(c, "viewer", inst.id);
    const t = await targetSide(inst);
    return {
      inst,
      t,
      list: t.currentDb ? await listRollbacks(t.conn, t.pg, t.filestoreRoot, t.currentDb) : [],
    };
  }

  async function dropOne(c: AppContext) {
    const { inst, t } = await rollbacks(c);
    const name = c.req.param("name") ?? "";
    await ctx.auth.require(c, inst.production ? "admin" : "operator", inst.id);
    if (!t.currentDb || !name.startsWith(`${t.currentDb}__rollback_`))
      throw new AppError("E_NOT_FOUND", `${name} is not a rollback copy of ${inst.name}`);
    await dropRollback(t.conn, t.pg, t.filestoreRoot, name);
    await ctx.audit(c, { action: "backup.rollback.drop", target: name, instanceId: inst.id, result: "ok" });
  }

  pages.get("/i/:instance/restore", async (c) => {
    const { inst, t, list } = await rollbacks(c);
    const p = c.get("principal");
    const all = await ctx.instances.list();
    const visible: typeof all = [];
    for (const i of all) if (await ctx.auth.can(p, "viewer", i.id)) visible.push(i);
    const backups = (
      await restorableBackups(
        ctx,
        visible.map((i) => i.id),
      )
    ).sort((a, b) => Number(b.instanceId === inst.id) - Number(a.instanceId === inst.id));
    const picked = Number(c.req.query("backup")) || null;
    return ctx.views.page(c, {
      title: `Restore · ${inst.name}`,
      instanceId: inst.id,
      body: (
        <RestorePage
          inst={inst}
          currentDb={t.currentDb}
          rollbacks={list}
          others={visible.filter((i) => i.id !== inst.id)}
          backups={backups}
          names={new Map(all.map((i) => [i.id, i.name]))}
          picked={backups.some((b) => b.id === picked) ? picked : null}
        />
      ),
    });
  });
  pages.post("/i/:instance/restore", async (c) => {
    const body = await c.req.parseBody();
    // The page's radio list: a backup id, or "upload" (the file the page uploaded, in `source`).
    if (body.backupId === "upload") delete body.backupId;
    else delete body.source;
    const r = await startRestore(c, body);
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  pages.post("/i/:instance/copy", async (c) => {
    const r = await startCopy(c, await c.req.parseBody());
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  pages.post("/i/:instance/rollbacks/:name/drop", async (c) => {
    await dropOne(c);
    return c.redirect(`/p/backup/i/${instanceId(c)}/restore`, 303);
  });

  api.post("/i/:instance/restore", async (c) => ok(c, await startRestore(c, await c.req.json())));
  api.post("/i/:instance/copy", async (c) => ok(c, await startCopy(c, await c.req.json())));
  api.get("/i/:instance/rollbacks", async (c) => ok(c, (await rollbacks(c)).list));
  api.post("/i/:instance/rollbacks/:name/drop", async (c) => {
    await dropOne(c);
    return ok(c, { dropped: c.req.param("name") });
  });
  const upload = async (c: AppContext) => {
    const inst = await ctx.instances.get(instanceId(c));
    await ctx.auth.require(c, "operator", inst.id);
    const saved = await saveUpload(ctx.dataDir, c.req.raw.body);
    await ctx.audit(c, {
      action: "backup.restore.upload",
      target: saved.path,
      instanceId: inst.id,
      result: "ok",
      details: { bytes: saved.bytes },
    });
    return ok(c, saved);
  };
  api.post("/i/:instance/restore/upload", acceptsUpload(), upload);
  pages.post("/i/:instance/restore/upload", acceptsUpload(), upload);
  return { pages, api };
}

/** Finished backups of these instances, newest first: what the restore page offers. */
async function restorableBackups(ctx: PluginContext, instanceIds: number[]) {
  const store = new BackupStore(ctx.db);
  const lists = await Promise.all(instanceIds.map((id) => store.list(id, 30)));
  return lists
    .flat()
    .filter((b) => b.status === "ok")
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
