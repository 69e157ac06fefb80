/**
 * The native odoodeck backup format (version 1), shared by the backup and restore sides.
 *
 * A backup is a folder `<instance>_<db>_<YYYYMMDDTHHMMSSZ>_<scope>.odoodeck` holding
 * `manifest.json` plus its parts. It is written under `.<name>.partial/` and renamed only when
 * every part is written, fsynced and its SHA-256 re-read matches.
 */

export const FORMAT_NAME = "odoodeck-backup";
export const FORMAT_VERSION = 1;
export const NATIVE_SUFFIX = ".odoodeck";
export const PARTIAL_PREFIX = ".";
export const PARTIAL_SUFFIX = ".partial";
export const MANIFEST_FILE = "manifest.json";

export type BackupScope = "full" | "db" | "files";
export type BackupFormat = "native" | "zip";
export const SCOPES: readonly BackupScope[] = ["full", "db", "files"];
export const FORMATS: readonly BackupFormat[] = ["native", "zip"];

/** Part file names in a native backup. */
export const PART_DB = "db.dump.zst";
export const PART_FILESTORE = "filestore.tar.zst";

/** "odoo-zip" only appears in odoodeck's records of zip backups, never in a native manifest.json. */
export type PartContents = "pg_dump-custom" | "filestore-tar" | "odoo-zip" | "filestore-cas";

export interface ManifestPart {
  name: string;
  bytes: number;
  sha256: string;
  /** "zstd" for dump and tar; "none" for a CAS filestore's index; "deflate" for a zip backup's record. */
  compression: "zstd" | "deflate" | "none";
  contains: PartContents;
}

export interface BackupManifest {
  format: typeof FORMAT_NAME;
  formatVersion: typeof FORMAT_VERSION;
  /** ISO 8601, UTC. */
  createdAt: string;
  scope: BackupScope;
  source: { instanceId: number; instanceName: string; server: string; dbName: string };
  /** serverVersion is server_version_num as a string (e.g. "150018"); pgDumpVersion e.g. "15.18". */
  postgres: { serverVersion: string; pgDumpVersion: string };
  /** version: base's latest_version; modules: installed module names, sorted. */
  odoo: { version: string | null; modules: string[] };
  counts: { res_users: number; res_partner: number; ir_attachment_stored: number };
  parts: ManifestPart[];
  /**
   * format "cas": the filestore is in the destination's object store (`objects/`), listed by the
   * part filestore.index.json (filestore-store/); absent: a filestore.tar.zst part.
   */
  filestore: { files: number; bytes: number; format?: "cas" };
}

/** "20240501T101500Z" for a date (UTC, seconds). */
export function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** Keeps names safe as one path segment: letters, digits, dot, dash; the rest becomes "-". */
export function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^\.+/, "") || "x";
}

/** `<instance>_<db>_<stamp>_<scope>` (no suffix). */
export function backupBaseName(
  instanceName: string,
  dbName: string,
  createdAt: Date,
  scope: BackupScope,
  /** 2, 3…: a second backup of the instance within the same second. */
  seq = 1,
): string {
  const at = seq > 1 ? `${stamp(createdAt)}-${seq}` : stamp(createdAt);
  return `${safeSegment(instanceName)}_${safeSegment(dbName)}_${at}_${scope}`;
}

export function nativeName(base: string): string {
  return `${base}${NATIVE_SUFFIX}`;
}

export function zipName(base: string): string {
  return `${base}.zip`;
}

/** The temporary name a backup is written under before it is published. */
export function partialName(finalName: string): string {
  return `${PARTIAL_PREFIX}${finalName}${PARTIAL_SUFFIX}`;
}

const NAME_RE = /^(.+)_(.+)_(\d{8}T\d{6}Z)(?:-\d+)?_(full|db|files)\.(odoodeck|zip)$/;

/** Parses a published backup name; null for anything else (partials included). */
export function parseBackupName(
  name: string,
): { instance: string; db: string; stamp: string; scope: BackupScope; format: BackupFormat } | null {
  const m = NAME_RE.exec(name);
  if (!m || name.startsWith(PARTIAL_PREFIX)) return null;
  return {
    instance: m[1],
    db: m[2],
    stamp: m[3],
    scope: m[4] as BackupScope,
    format: m[5] === "zip" ? "zip" : "native",
  };
}

/** Structural check of a manifest read from disk; throws a message naming the first problem. */
export function validateManifest(x: unknown): BackupManifest {
  const m = x as BackupManifest;
  const fail = (why: string): never => {
    throw new Error(`manifest.json: ${why}`);
  };
  if (!m || typeof m !== "object") fail("not an object");
  if (m.format !== FORMAT_NAME) fail(`format is ${JSON.stringify(m.format)}, expected ${FORMAT_NAME}`);
  if (m.formatVersion !== FORMAT_VERSION) fail(`formatVersion ${m.formatVersion} is not supported`);
  if (!SCOPES.includes(m.scope)) fail(`scope ${JSON.stringify(m.scope)} is unknown`);
  if (!Array.isArray(m.parts)) fail("parts is missing");
  for (const p of m.parts) {
    if (typeof p.name !== "string" || p.name.includes("/") || p.name.startsWith("."))
      fail("a part has a bad name");
    if (!Number.isSafeInteger(p.bytes) || p.bytes < 0) fail(`part ${p.name} has a bad size`);
    if (!/^[0-9a-f]{64}$/.test(p.sha256)) fail(`part ${p.name} has a bad sha256`);
  }
  return m;
}
