/**
 * The one guard for every door into a backup (download, restore, copy, restore test, upload,
 * verify): a backup id needs the role on the instance that OWNS the backup, an instance id needs
 * it on that instance, and a `source` path must resolve (symlinks and `..` followed) inside the
 * upload folder or the local backup folder. What a user may not see answers exactly as what does
 * not exist, so the answers are no oracle: another instance's backup is E_NOT_FOUND like a
 * missing one, and `/etc/shadow` is refused like `/nonexistent`.
 */
import { realpath } from "node:fs/promises";
import { join, sep } from "node:path";
import {
  type AppContext,
  AppError,
  type InstanceHandle,
  type PluginContext,
  type Principal,
  type Role,
} from "../../../server/sdk/index.ts";
import type { BackupSettings } from "../settings.ts";
import { type BackupRecord, BackupStore } from "../store.ts";
import { UploadStore } from "../copies/uploads.ts";

type Ctx = PluginContext<BackupSettings> | PluginContext;

/** Where uploads land (restore-upload.ts writes there). */
export const uploadDir = (dataDir: string) => join(dataDir, "backup-uploads");

/** Who asks; E_UNAUTHENTICATED without a session or token. */
export async function principalOf(c: AppContext): Promise<Principal> {
  const p = c.get("principal");
  if (!p) throw new AppError("E_UNAUTHENTICATED");
  return p;
}

/** The instance, if the request may see it; `role` is then required (E_FORBIDDEN names it). */
export async function instanceFor(
  ctx: Ctx,
  c: AppContext,
  id: number,
  role: Role,
): Promise<{ inst: InstanceHandle; p: Principal }> {
  const p = await principalOf(c);
  if (!(await ctx.auth.can(p, "viewer", id)))
    throw new AppError("E_NOT_FOUND", `No instance with id ${id}`, {
      hint: "It may have been removed; see the Instances page",
    });
  const inst = await ctx.instances.get(id);
  await ctx.auth.require(c, role, id);
  return { inst, p };
}

/** The instances the request may see (viewer or more): what a page may name. */
export async function visibleInstances(
  ctx: Ctx,
  p: Principal,
  role: Role = "viewer",
): Promise<InstanceHandle[]> {
  const all = await ctx.instances.list();
  const allowed = await Promise.all(all.map((i) => ctx.auth.can(p, role, i.id)));
  return all.filter((_, n) => allowed[n]);
}

const noBackup = (id: number | string) => new AppError("E_NOT_FOUND", `Backup ${id} does not exist`);

/** The backup, only when the request holds `role` on the instance that owns it. */
export async function backupFor(
  ctx: Ctx,
  c: AppContext,
  id: number,
  role: Role,
): Promise<{ b: BackupRecord; p: Principal }> {
  const p = await principalOf(c);
  return { b: await backupOf(ctx, p, id, role), p };
}

/** The same rule for a caller without a request (an operation: REST, CLI, MCP, page). */
export async function backupOf(ctx: Ctx, p: Principal, id: number, role: Role): Promise<BackupRecord> {
  const b = await new BackupStore(ctx.db).get(id);
  if (!b || !(await ctx.auth.can(p, role, b.instanceId))) throw noBackup(id);
  return b;
}

const inside = (path: string, root: string) => path === root || path.startsWith(root + sep);
const real = (p: string) => realpath(p).catch(() => null);

const noSource = (path: string) =>
  new AppError("E_FILE_NOT_FOUND", `No backup at ${path} in the upload or backup folders`, {
    hint: "Upload the backup first, or pick one of the instance's backups",
  });

/** A file a record ties to an instance: operator there; a file no record owns: a global admin. */
const mayRead = (ctx: Ctx, p: Principal, ownerInstance: number | undefined) =>
  ownerInstance === undefined ? ctx.auth.can(p, "admin", null) : ctx.auth.can(p, "operator", ownerInstance);

/**
 * A `source` path the request may restore from, resolved (what is returned is the real path, so a
 * symlink swapped afterwards changes nothing). Inside the upload folder: operator on the instance it
 * was uploaded from (uploads.ts records it). Inside the local backup folder: operator on the
 * instance whose backup it is. A file no record owns needs a global admin.
 */
export async function sourceFor(ctx: Ctx, c: AppContext, raw: string): Promise<string> {
  return sourceOf(ctx, await principalOf(c), raw);
}

/** `sourceFor` for a caller without a request (an operation). */
export async function sourceOf(ctx: Ctx, p: Principal, raw: string): Promise<string> {
  const path = raw.startsWith("/") ? await real(raw) : null;
  if (!path) throw noSource(raw);
  const uploads = await real(uploadDir(ctx.dataDir));
  if (uploads && inside(path, uploads) && path !== uploads) {
    const upload = await new UploadStore(ctx.db).byPath(path);
    if (!(await mayRead(ctx, p, upload?.instanceId))) throw noSource(raw);
    return path;
  }
  const s = await (ctx as PluginContext<BackupSettings>).settings();
  const backups = await real(s.localDir || join(ctx.dataDir, "backups"));
  if (!backups || !inside(path, backups) || path === backups) throw noSource(raw);
  const name = path.slice(backups.length + 1).split(sep)[0];
  const owner = await new BackupStore(ctx.db).byName(name);
  if (!(await mayRead(ctx, p, owner?.instanceId))) throw noSource(raw);
  return path;
}

/**
 * An upload by id, as a restore source: the operator of the instance it was uploaded from (or a
 * global admin for one no instance owns); anyone else, and a missing one, get E_NOT_FOUND alike.
 */
export async function uploadSourceOf(ctx: Ctx, p: Principal, id: number): Promise<string> {
  const u = await new UploadStore(ctx.db).get(id);
  if (!u || !(await mayRead(ctx, p, u.instanceId)))
    throw new AppError("E_NOT_FOUND", `Upload ${id} does not exist`, {
      hint: "Uploads are removed after a few days; upload the backup again",
    });
  // Through the path guard too: a record whose file moved out of the upload folder is refused.
  return sourceOf(ctx, p, u.path);
}
