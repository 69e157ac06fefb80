/**
 * Restore, copy, rollback copies and the streaming upload of an Odoo zip. Every destructive action
 * is a locking operation (a second one on the instance gets E_BUSY) and is audited.
 * Pages at /p/backup/i/:instance/restore, JSON at /api/v1/backup/i/:instance/….
 */
import { realpath, rm } from "node:fs/promises";
import { Hono } from "hono";
import {
  acceptsUpload,
  type AppContext,
  AppError,
  type Env,
  ok,
  type PluginContext,
  toAppError,
} from "../../../server/sdk/index.ts";
import { instanceFor, principalOf, uploadDir, visibleInstances } from "./access.ts";
import { catcherLink } from "../neutralize/catcher-link.ts";
import { copyDatabase } from "../restore/copy.ts";
import {
  authorizeRestore,
  checkNewDbName,
  neutralizeChoice,
  requestedSource,
  type TargetSide,
  targetSide,
} from "../restore/restore-request.ts";
import { auditWhenDone, recordReport, startRestoreOperation } from "../restore/restore-start.ts";
import { saveUpload } from "../restore/restore-upload.ts";
import { withScratchClaim } from "../restore/scratch-claims.ts";
import { dropRollbackOf, rollbacksOf } from "../restore/rollbacks.ts";
import { RestorePage } from "../views/restore-page.tsx";
import { BackupStore } from "../store.ts";
import type { BackupSettings } from "../settings.ts";
import { deleteUpload, ownUpload, sweepUploads, UploadStore } from "../copies/uploads.ts";
import { UploadsCard } from "../views/uploads-card.tsx";

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
  const backupCtx = ctx as PluginContext<BackupSettings>;
  const settingsOf = () => backupCtx.settings();

  /**
   * Restore into the instance of the URL (target "instance"), a new database on its cluster
   * ("new"), or over another instance ("other:<id>", the restore page's third choice).
   */
  async function startRestore(c: AppContext, body: Record<string, unknown>) {
    const other = /^other:(\d+)$/.exec(String(body.target ?? ""));
    const { inst } = await instanceFor(ctx, c, other ? Number(other[1]) : instanceId(c), "operator");
    const overwrite = body.target !== "new";
    const actor = await authorizeRestore(ctx, c, inst, overwrite, String(body.confirm ?? ""));
    const source = await requestedSource(ctx, c, body, actor);
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
    const { inst: src } = await instanceFor(ctx, c, instanceId(c), "operator");
    const toInst = body.toInstance
      ? (await instanceFor(ctx, c, Number(body.toInstance), "operator")).inst
      : src;
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
                mail: { link: catcherLink(ctx, toInst.id), kind: "copy" },
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
    const { inst } = await instanceFor(ctx, c, instanceId(c), "viewer");
    return { inst, ...(await rollbacksOf(inst)) };
  }

  async function dropOne(c: AppContext) {
    const { inst } = await instanceFor(ctx, c, instanceId(c), "viewer");
    const name = c.req.param("name") ?? "";
    await ctx.auth.require(c, inst.production ? "admin" : "operator", inst.id);
    await dropRollbackOf(inst, name);
    await ctx.audit(c, { action: "backup.rollback.drop", target: name, instanceId: inst.id, result: "ok" });
  }

  pages.get("/i/:instance/restore", async (c) => {
    const { inst, t, list } = await rollbacks(c);
    const p = await principalOf(c);
    // Backups come from, and copies go to, only instances the user operates; names only of those
    // the user may see: the page names no other instance.
    const operable = await visibleInstances(ctx, p, "operator");
    const others = operable.filter((i) => i.id !== inst.id);
    const names = new Map((await visibleInstances(ctx, p)).map((i) => [i.id, i.name]));
    const backups = (
      await restorableBackups(
        ctx,
        operable.map((i) => i.id),
      )
    ).sort((a, b) => Number(b.instanceId === inst.id) - Number(a.instanceId === inst.id));
    const picked = Number(c.req.query("backup")) || null;
    return ctx.views.page(c, {
      title: `Restore · ${inst.name}`,
      instanceId: inst.id,
      body: (
        <>
          <RestorePage
            inst={inst}
            currentDb={t.currentDb}
            rollbacks={list}
            others={others}
            backups={backups}
            names={names}
            picked={backups.some((b) => b.id === picked) ? picked : null}
          />
          <div hx-get={`/p/backup/i/${inst.id}/pitr`} hx-trigger="load" hx-swap="outerHTML">
            <a href={`/p/backup/i/${inst.id}/pitr`}>Restore to a point in time</a>
          </div>
          <UploadsCard
            uploads={await new UploadStore(ctx.db).visibleTo(p)}
            names={names}
            ttlDays={Number((await settingsOf()).uploadTtlDays)}
          />
        </>
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
    const { inst, p } = await instanceFor(ctx, c, instanceId(c), "operator");
    await sweepUploads(backupCtx, uploadDir(ctx.dataDir)).catch((e) =>
      ctx.log.warn(`Sweeping old uploads failed: ${toAppError(e).message}`),
    );
    const saved = await saveUpload(ctx.dataDir, c.req.raw.body);
    // Recorded under its real path: the one a restore's `source` resolves to (access.ts).
    const path = await realpath(saved.path);
    const rec = await new UploadStore(ctx.db)
      .insert({
        path,
        instanceId: inst.id,
        userId: p.userId,
        username: p.username,
        bytes: saved.bytes,
        sha256: saved.sha256,
        createdAt: new Date().toISOString(),
      })
      .catch(async (e) => {
        await rm(path, { force: true }); // an upload nobody owns could never be restored
        throw e;
      });
    await ctx.audit(c, {
      action: "backup.restore.upload",
      target: path,
      instanceId: inst.id,
      result: "ok",
      details: { bytes: saved.bytes, sha256: saved.sha256, uploadId: rec.id },
    });
    return ok(c, { ...saved, path, id: rec.id });
  };
  api.post("/i/:instance/restore/upload", acceptsUpload(), upload);
  pages.post("/i/:instance/restore/upload", acceptsUpload(), upload);

  /** The upload, when the request made it (or is a global admin); anyone else: as if missing. */
  async function deleteOwnUpload(c: AppContext) {
    const p = await principalOf(c);
    const store = new UploadStore(ctx.db);
    const u = await ownUpload(store, p, c.req.param("id") ?? "", () => ctx.auth.can(p, "admin", null));
    await deleteUpload(store, u);
    await ctx.audit(c, {
      action: "backup.upload.delete",
      target: u.path,
      instanceId: u.instanceId,
      result: "ok",
      details: { uploadId: u.id },
    });
    return u;
  }
  api.get("/uploads", async (c) =>
    ok(c, { uploads: await new UploadStore(ctx.db).visibleTo(await principalOf(c)) }),
  );
  api.post("/uploads/:id/delete", async (c) => ok(c, { deleted: (await deleteOwnUpload(c)).id }));
  pages.post("/uploads/:id/delete", async (c) => {
    const u = await deleteOwnUpload(c);
    return c.redirect(`/p/backup/i/${u.instanceId}/restore`, 303);
  });
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
