/**
 * Turns a restore/copy request into checked inputs: the backup (a path on this machine, or a
 * backup id: its local copy, else a copy fetched from S3 or a server when the restore runs), the
 * target (swap into an instance, or a new database on its cluster) and neutralization defaults.
 * Who may do it is the operations' business (ops/restore-ops.ts): role, production rule, audit.
 */
import {
  AppError,
  type InstanceHandle,
  type PluginContext,
  type Principal,
} from "../../../server/sdk/index.ts";
import { resolveDestination } from "../destinations/resolve.ts";
import type { NeutralizeOptions } from "../neutralize/neutralize.ts";
import type { RestoreTarget } from "./restore.ts";
import { markBadCopy } from "../copies/bad-copy.ts";
import { deferStaging, localCopy } from "./restore-staging.ts";
import type { BackupSettings } from "../settings.ts";
import type { BackupRecord } from "../store.ts";
import { backupOf, sourceOf, uploadSourceOf } from "../http/access.ts";

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

/** Where a restore reads from: one of a backup id, an upload id or a path on this machine. */
export interface SourceRef {
  backup?: number | undefined;
  upload?: number | undefined;
  source?: string | undefined;
}

/**
 * The backup a restore names: `backup` (a backup the caller may read), `upload` (an upload of an
 * instance the caller operates) or `source` (a path, confined by access.ts). All go through the
 * one guard, so a refusal reads exactly like a missing backup.
 */
export async function restoreSource(
  ctx: PluginContext,
  p: Principal,
  ref: SourceRef,
  actor: string,
): Promise<string> {
  const given = [ref.backup, ref.upload, ref.source?.trim() || undefined].filter((v) => v !== undefined);
  if (given.length !== 1)
    throw new AppError(
      "E_VALIDATION",
      "Name one backup: its id (backup), an upload id (upload) or a path (source)",
      {
        hint: "backup.list lists an instance's backups; backup.uploads.list the uploads",
      },
    );
  if (ref.source?.trim()) return sourceOf(ctx, p, ref.source.trim());
  if (ref.upload !== undefined) return uploadSourceOf(ctx, p, ref.upload);
  return sourceOfBackup(ctx, await backupOf(ctx, p, ref.backup!, "operator"), actor);
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
