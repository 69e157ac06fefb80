/**
 * Turns a restore/copy request into checked inputs: the backup (a path on this machine, or a
 * backup id: its local copy, else a copy fetched from S3 or a server when the restore runs), the
 * target (swap into an instance, or a new database on its cluster), production protection
 * (admin + typing the instance name), and neutralization defaults.
 */
import {
  type AppContext,
  AppError,
  type InstanceHandle,
  type PluginContext,
} from "../../../server/sdk/index.ts";
import { resolveDestination } from "../destinations/resolve.ts";
import type { NeutralizeOptions } from "../neutralize/neutralize.ts";
import type { RestoreTarget } from "./restore.ts";
import { markBadCopy } from "../copies/bad-copy.ts";
import { deferStaging, localCopy } from "./restore-staging.ts";
import type { BackupSettings } from "../settings.ts";
import type { BackupRecord } from "../store.ts";
import { backupFor, sourceFor } from "../http/access.ts";

export interface TargetSide extends RestoreTarget {
  inst: InstanceHandle;
  currentDb: string | null;
  service: string | null;
  addonsPaths: string[];
  dataDir: string;
  confSmtpServer: string;
}

/** How an instance is reached for restores: its connection, PostgreSQL settings and filestore root. */
export async function targetSide(inst: InstanceHandle): Promise<TargetSide> {
  const { settings: s } = await inst.odoo();
  return {
    inst,
    conn: await inst.connection(),
    pg: { host: s.dbHost, port: s.dbPort, user: s.dbUser, password: s.dbPassword, sslmode: s.dbSslmode },
    filestoreRoot: `${s.dataDir}/filestore`,
    currentDb: inst.dbName ?? s.dbNames[0] ?? null,
    service: inst.service,
    addonsPaths: s.addonsPaths,
    dataDir: s.dataDir,
    confSmtpServer: s.smtp.server,
  };
}

const DB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$/;

export function checkNewDbName(name: string): string {
  if (!DB_NAME.test(name))
    throw new AppError(
      "E_VALIDATION",
      "The new database name may use letters, digits, _ . - (up to 41 characters)",
    );
  return name;
}

/**
 * Where a finished backup is read from: its copy on this machine, else the path it will be staged
 * at when the restore runs (a copy fetched from S3 or a server, see restore-staging.ts); a copy
 * found bad there is marked on the record, audited as `actor`'s restore. The caller checked the
 * request may read `b` (access.ts).
 */
export function sourceOfBackup(ctx: PluginContext, b: BackupRecord, actor: string): string {
  if (b.status !== "ok")
    throw new AppError(
      "E_VALIDATION",
      `Backup ${b.name} is ${b.status}: only a finished backup can be restored`,
    );
  const cx = ctx as PluginContext<BackupSettings>;
  return (
    localCopy(b) ?? deferStaging(ctx.dataDir, b, (d) => resolveDestination(cx, d), markBadCopy(ctx, b, actor))
  );
}

/**
 * The backup a restore request names: `source` (a path, checked by access.ts) or `backupId` (a
 * backup the request may read). Both go through the one guard.
 */
export async function requestedSource(
  ctx: PluginContext,
  c: AppContext,
  body: Record<string, unknown>,
  actor: string,
): Promise<string> {
  const path = String(body.source ?? "").trim();
  if (path) return sourceFor(ctx, c, path);
  const id = Number(body.backupId);
  if (!Number.isInteger(id) || id <= 0)
    throw new AppError("E_VALIDATION", "Pick a backup (id) or give its path");
  const { b } = await backupFor(ctx, c, id, "operator");
  return sourceOfBackup(ctx, b, actor);
}

/**
 * Production protection: restoring over a production instance needs the admin role and the
 * instance's name typed in `confirm`. Returns the principal's name.
 */
export async function authorizeRestore(
  ctx: PluginContext,
  c: AppContext,
  inst: InstanceHandle,
  overwrite: boolean,
  confirm: string,
): Promise<string> {
  const p = await ctx.auth.require(c, "operator", inst.id);
  if (overwrite && inst.production) {
    if (!(await ctx.auth.can(p, "admin", inst.id)))
      throw new AppError(
        "E_PROTECTED",
        `${inst.name} is marked production: only an admin may restore over it`,
      );
    if (confirm.trim() !== inst.name)
      throw new AppError("E_CONFIRMATION", `Type the instance name (${inst.name}) to confirm`, {
        hint: "The current database is kept aside as a rollback copy either way",
      });
  }
  return p.username;
}

/** Neutralize unless the request says "off"; by default off only when the target is production. */
export function neutralizeChoice(
  body: Record<string, unknown>,
  t: TargetSide,
  overwrite: boolean,
): NeutralizeOptions | false {
  const raw = String(body.neutralize ?? "").toLowerCase();
  const on = raw ? ["on", "true", "1", "yes"].includes(raw) : !(overwrite && t.inst.production);
  if (!on) return false;
  return {
    addonsPaths: t.addonsPaths,
    dataDir: t.dataDir,
    mode: body.mode === "move" ? "move" : "copy",
    confSmtpServer: t.confSmtpServer,
    reference: { confPath: t.inst.confPath, container: t.inst.container, addonsPaths: t.addonsPaths },
  };
}
