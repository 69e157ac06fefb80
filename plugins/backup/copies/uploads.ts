/**
 * Uploaded backups (`backup_uploads`). The upload folder is shared by every user, so each file is
 * recorded with who uploaded it and from which instance: a restore from it needs operator on that
 * instance (or admin), the uploader sees and deletes their own, and uploads older than the TTL
 * (setting `uploadTtlDays`) are removed — they hold a whole database and nobody keeps them on
 * purpose (a backup to keep is taken, not uploaded).
 */
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Kysely } from "../../../server/sdk/index.ts";
import type { PluginContext, Principal } from "../../../server/sdk/index.ts";
import { AppError, toAppError } from "../../../server/sdk/index.ts";
import type { BackupSettings } from "../settings.ts";

const TABLE = "backup_uploads";
const DAY_MS = 24 * 3600 * 1000;
/** The names saveUpload gives (restore-upload.ts); nothing else in the folder is swept. */
export const UPLOAD_NAME = /^upload-\d+-[0-9a-f]{8}\.(zip|dump)$/;

export interface UploadRecord {
  id: number;
  path: string;
  instanceId: number;
  userId: number;
  username: string;
  bytes: number;
  sha256: string;
  createdAt: string;
}

const fromRow = (r: any): UploadRecord => ({
  id: Number(r.id),
  path: r.path,
  instanceId: Number(r.instance_id),
  userId: Number(r.user_id),
  username: r.username,
  bytes: Number(r.bytes),
  sha256: r.sha256,
  createdAt: r.created_at,
});

export class UploadStore {
  constructor(readonly db: Kysely<any>) {}

  async insert(r: Omit<UploadRecord, "id">): Promise<UploadRecord> {
    const row = await this.db
      .insertInto(TABLE)
      .values({
        path: r.path,
        instance_id: r.instanceId,
        user_id: r.userId,
        username: r.username,
        bytes: r.bytes,
        sha256: r.sha256,
        created_at: r.createdAt,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { ...r, id: Number(row.id) };
  }

  async byPath(path: string): Promise<UploadRecord | null> {
    const r = await this.db.selectFrom(TABLE).selectAll().where("path", "=", path).executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  async get(id: number): Promise<UploadRecord | null> {
    const r = await this.db.selectFrom(TABLE).selectAll().where("id", "=", id).executeTakeFirst();
    return r ? fromRow(r) : null;
  }

  /** The user's own uploads; a global admin sees everyone's. */
  async visibleTo(p: Principal): Promise<UploadRecord[]> {
    let q = this.db.selectFrom(TABLE).selectAll().orderBy("id", "desc");
    if (p.role !== "admin") q = q.where("user_id", "=", p.userId);
    return (await q.execute()).map(fromRow);
  }

  async olderThan(iso: string): Promise<UploadRecord[]> {
    return (await this.db.selectFrom(TABLE).selectAll().where("created_at", "<", iso).execute()).map(fromRow);
  }

  async remove(id: number): Promise<void> {
    await this.db.deleteFrom(TABLE).where("id", "=", id).execute();
  }
}

/** Deletes an upload's file, then its record. */
/**
 * The upload when `p` made it (or `p` is a global admin); anyone else gets the answer a missing
 * one gets, so upload ids are no oracle.
 */
export async function ownUpload(
  store: UploadStore,
  p: Principal,
  id: number | string,
  isGlobalAdmin: () => boolean | Promise<boolean>,
): Promise<UploadRecord> {
  const n = Number(id);
  const u = Number.isInteger(n) ? await store.get(n) : null;
  if (!u || (u.userId !== p.userId && !(await isGlobalAdmin())))
    throw new AppError("E_NOT_FOUND", `Upload ${id} does not exist`, {
      hint: "Only the user who uploaded a file (or an admin) may see or delete it",
    });
  return u;
}

export async function deleteUpload(store: UploadStore, u: UploadRecord): Promise<void> {
  await rm(u.path, { force: true });
  await store.remove(u.id);
}

/**
 * Removes uploads older than the TTL: recorded ones, and files of the upload's name pattern that
 * no record owns (uploaded before uploads were recorded, or cut off mid-way), by their age.
 */
export async function sweepUploads(
  ctx: PluginContext<BackupSettings>,
  dir: string,
  now = Date.now(),
): Promise<string[]> {
  const ttlDays = Number((await ctx.settings()).uploadTtlDays) || 7;
  const cutoff = now - ttlDays * DAY_MS;
  const store = new UploadStore(ctx.db);
  const removed: string[] = [];
  for (const u of await store.olderThan(new Date(cutoff).toISOString())) {
    await deleteUpload(store, u);
    removed.push(u.path);
  }
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    if (!UPLOAD_NAME.test(name) || (await store.byPath(path))) continue;
    const st = await stat(path).catch(() => null);
    if (st?.isFile() && st.mtimeMs < cutoff) {
      await rm(path, { force: true });
      removed.push(path);
    }
  }
  if (removed.length) {
    ctx.log.info(`Removed ${removed.length} upload(s) older than ${ttlDays} day(s): ${removed.join(", ")}`);
    await ctx
      .audit(
        { actor: "system" },
        { action: "backup.upload.expire", target: dir, result: "ok", details: { removed, ttlDays } },
      )
      .catch((e) => ctx.log.warn(`Auditing the upload sweep failed: ${toAppError(e).message}`));
  }
  return removed;
}

/** Sweeps now and every hour (an idle server too: an upload is not kept past its TTL for lack of a next one). */
export function keepSweepingUploads(ctx: PluginContext<BackupSettings>, dir: string): () => void {
  const run = () =>
    sweepUploads(ctx, dir).catch((e) =>
      ctx.log.warn(`Sweeping old uploads failed: ${toAppError(e).message}`),
    );
  void run();
  const timer = setInterval(run, 3600 * 1000);
  timer.unref?.();
  return () => clearInterval(timer);
}
