/**
 * Restore, copy, rollback copies and the streaming upload of an Odoo zip. Restore and copy are
 * the operations backup.restore and backup.copy (ops/restore-ops.ts): these routes only turn the
 * form or JSON body into their input. Each is a locking operation (a second one on the instance
 * gets E_BUSY) and is audited.
 * Pages at /p/backup/i/:instance/restore, JSON at /api/v1/backup/i/:instance/….
 */
import { realpath, rm } from "node:fs/promises";
import { Hono } from "hono";
import {
  acceptsUpload,
  type AppContext,
  AppError,
  type Env,
  type ErrorCode,
  ok,
  type PluginContext,
  toAppError,
} from "../../../server/sdk/index.ts";
import { instanceFor, principalOf, uploadDir, visibleInstances } from "./access.ts";
import { saveUpload } from "../restore/restore-upload.ts";
import { rollbacksOf } from "../restore/rollbacks.ts";
import { RestorePage } from "../views/restore-page.tsx";
import { BackupStore } from "../store.ts";
import type { BackupSettings } from "../settings.ts";
import { sweepUploads, UploadStore } from "../copies/uploads.ts";
import { UploadsCard } from "../views/uploads-card.tsx";

const instanceId = (c: AppContext): number => {
  const id = Number(c.req.param("instance"));
  if (!Number.isInteger(id) || id <= 0) throw new AppError("E_VALIDATION", "Invalid instance id");
  return id;
};

/** A blank form field is an absent one: the operation's default applies. */
const blank = (v: unknown) => (v === "" || v === null ? undefined : v);
/** A form or JSON number (an id): kept as given when it is not one, so validation names it. */
const num = (v: unknown) => {
  const b = blank(v);
  return b !== undefined && /^\d+$/.test(String(b)) ? Number(b) : b;
};
const given = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** The restore form's and the older JSON API's choices, as the operations' shared fields. */
function targetFields(body: Record<string, unknown>) {
  const raw = String(body.neutralize ?? "").toLowerCase();
  return {
    // "new" with no name is refused (newDb too short), never taken as "replace".
    newDb: body.target === "new" ? String(body.dbName ?? "") : undefined,
    neutralize: raw ? (["on", "true", "1", "yes"].includes(raw) ? "on" : "off") : undefined,
    mode: blank(body.mode),
    confirm: blank(body.confirm),
  };
}

/**
 * Restore into the instance of the URL (target "instance"), a new database on its cluster
 * ("new"), or over another instance ("other:<id>", the restore page's third choice).
 */
function restoreInput(c: AppContext, body: Record<string, unknown>) {
  const other = /^other:(\d+)$/.exec(String(body.target ?? ""));
  return given({
    instance: other ? Number(other[1]) : c.req.param("instance"),
    backup: num(body.backupId ?? body.backup),
    upload: num(body.upload),
    source: blank(typeof body.source === "string" ? body.source.trim() : body.source),
    ...targetFields(body),
  });
}

/** Copy the instance of the URL into `toInstance` (swap) or a new database on the target's cluster. */
function copyInput(c: AppContext, body: Record<string, unknown>) {
  return given({
    instance: num(body.toInstance) ?? c.req.param("instance"),
    from: num(c.req.param("instance")),
    ...targetFields(body),
  });
}

export function restoreRoutes(ctx: PluginContext): { pages: Hono<Env>; api: Hono<Env> } {
  const pages = new Hono<Env>();
  const api = new Hono<Env>();
  const backupCtx = ctx as PluginContext<BackupSettings>;
  const settingsOf = () => backupCtx.settings();
  // Restore and copy are operations (ops/restore-ops.ts): role, production rule, lock and audit
  // are the executor's, the same as on REST /ops, the CLI and MCP.
  const restore = (c: AppContext, body: Record<string, unknown>) =>
    ctx.operations.invoke(c, "backup.restore", restoreInput(c, body));
  const copy = (c: AppContext, body: Record<string, unknown>) =>
    ctx.operations.invoke(c, "backup.copy", copyInput(c, body));

  async function rollbacks(c: AppContext) {
    const { inst } = await instanceFor(ctx, c, instanceId(c), "viewer");
    return { inst, ...(await rollbacksOf(inst)) };
  }

  /**
   * Drops a rollback copy through database.drop-rollback (the database plugin's operation), so
   * every surface has one rule: an admin of the instance, the copy's name typed back. Answers
   * once the copy is gone, as this route always did.
   */
  async function dropOne(c: AppContext, confirm: unknown) {
    const name = c.req.param("name") ?? "";
    const r = await ctx.operations.invoke(c, "database.drop-rollback", {
      instance: c.req.param("instance"),
      name,
      confirm,
    });
    const snap = await ctx.operations.finished(r.operationId!);
    if (snap.status !== "ok") {
      const err = snap.error ?? { code: "E_INTERNAL", message: "The drop did not finish" };
      throw new AppError(err.code as ErrorCode, err.message, { hint: err.hint });
    }
    return name;
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
    const r = await restore(c, body);
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  pages.post("/i/:instance/copy", async (c) => {
    const r = await copy(c, await c.req.parseBody());
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  pages.post("/i/:instance/rollbacks/:name/drop", async (c) => {
    await dropOne(c, (await c.req.parseBody()).confirm);
    return c.redirect(`/p/backup/i/${instanceId(c)}/restore`, 303);
  });

  api.post("/i/:instance/restore", async (c) => ok(c, (await restore(c, await c.req.json())).data));
  api.post("/i/:instance/copy", async (c) => ok(c, (await copy(c, await c.req.json())).data));
  api.get("/i/:instance/rollbacks", async (c) => ok(c, (await rollbacks(c)).list));
  api.post("/i/:instance/rollbacks/:name/drop", async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    return ok(c, { dropped: await dropOne(c, body.confirm) });
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

  /** The operation backup.uploads.delete: the uploader's own (an admin: any); else as if missing. */
  const deleteUploadOf = async (c: AppContext) =>
    (await ctx.operations.invoke(c, "backup.uploads.delete", { upload: num(c.req.param("id")) })).data as {
      deleted: number;
      instanceId: number;
    };
  api.get("/uploads", async (c) =>
    ok(c, { uploads: await new UploadStore(ctx.db).visibleTo(await principalOf(c)) }),
  );
  api.post("/uploads/:id/delete", async (c) => ok(c, { deleted: (await deleteUploadOf(c)).deleted }));
  pages.post("/uploads/:id/delete", async (c) => {
    const u = await deleteUploadOf(c);
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
