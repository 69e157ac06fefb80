/**
 * Reads and fully checks a backup on the odoodeck machine BEFORE anything is created or dropped:
 * a native folder (manifest + every part's size and SHA-256) or Odoo's zip (central directory,
 * dump.sql, manifest.json). Backups are read-only inputs: nothing here writes to them.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { AppError, isAppError } from "../../../server/sdk/index.ts";
import {
  type BackupManifest,
  MANIFEST_FILE,
  type ManifestPart,
  PART_DB,
  PART_FILESTORE,
  validateManifest,
} from "../archive/format.ts";
import { sha256File } from "../archive/fanout.ts";
import { PART_FILESTORE_INDEX } from "../filestore-store/layout.ts";
import { type OdooZip, openOdooZip } from "../archive/odoo-zip-import.ts";
import type { DumpProducer } from "./restore-pg.ts";

export type ArchiveInfo =
  | {
      kind: "native";
      dir: string;
      manifest: BackupManifest;
      dbPart: ManifestPart | null;
      filesPart: ManifestPart | null;
      /** Major version of the pg_dump that made the dump, e.g. 15. */
      pgDumpMajor: number | null;
      modules: string[];
      sourceDb: string;
    }
  | {
      kind: "odoo-zip";
      path: string;
      zip: OdooZip;
      pgDumpMajor: number | null;
      modules: string[];
      sourceDb: string | null;
    }
  | {
      /** Odoo's `backup_format=dump`: a pg_dump custom-format file, no filestore. */
      kind: "pg-dump";
      path: string;
      pgDumpMajor: null;
      modules: string[];
      sourceDb: null;
    }
  | StreamedDump;

/**
 * A pg_dump custom-format archive streamed from a command on this machine (a point-in-time
 * restore's scratch cluster) into the target's pg_restore: never a file. What a file's inspection
 * would find is read from the source database before the stream starts.
 */
export interface StreamedDump {
  kind: "pg-stream";
  producer: DumpProducer;
  /** Major version of the pg_dump that produces the stream. */
  pgDumpMajor: number;
  /** Installed Odoo modules in the source database (empty: not an Odoo database). */
  modules: string[];
  sourceDb: string;
  /** Extensions the source database has (the target must be able to create them). */
  extensions: string[];
  /** Row counts of the source database the restored copy must match (null: not an Odoo database). */
  counts: { res_users: number; res_partner: number; ir_attachment_stored: number } | null;
  /** The source database's size: the progress bar's scale (the stream's own length is unknown). */
  bytes: number;
}

/** pg_dump's custom format starts with "PGDMP" (what Odoo's "dump" backup format is). */
export async function isPgDump(path: string): Promise<boolean> {
  const head = await Bun.file(path)
    .slice(0, 5)
    .text()
    .catch(() => "");
  return head === "PGDMP";
}

const corrupt = (what: string, hint?: string) =>
  new AppError("E_BACKUP_CORRUPT", `The backup is corrupt or incomplete: ${what}`, {
    hint: hint ?? "Pick another backup; this one cannot be restored safely",
  });

async function inspectNative(dir: string): Promise<ArchiveInfo> {
  let raw: string;
  try {
    raw = await Bun.file(join(dir, MANIFEST_FILE)).text();
  } catch {
    throw corrupt(`${MANIFEST_FILE} is missing in ${dir}`);
  }
  let manifest: BackupManifest;
  try {
    manifest = validateManifest(JSON.parse(raw));
  } catch (e) {
    throw corrupt(`${MANIFEST_FILE} cannot be read (${(e as Error).message})`);
  }
  for (const part of manifest.parts) {
    const st = await stat(join(dir, part.name)).catch(() => null);
    if (!st?.isFile()) throw corrupt(`part ${part.name} is missing`);
    if (st.size !== part.bytes)
      throw corrupt(`part ${part.name} is ${st.size} bytes, the manifest says ${part.bytes} (truncated?)`);
  }
  const find = (name: string) => manifest.parts.find((p) => p.name === name) ?? null;
  const dbPart = find(PART_DB);
  // A CAS backup's filestore is its index; the objects sit beside the backup folder.
  const filesPart = find(PART_FILESTORE) ?? find(PART_FILESTORE_INDEX);
  if (manifest.scope !== "files" && !dbPart) throw corrupt(`part ${PART_DB} is not listed in the manifest`);
  if (manifest.scope !== "db" && !filesPart)
    throw corrupt(`part ${PART_FILESTORE} is not listed in the manifest`);
  const major = /^(\d+)/.exec(manifest.postgres?.pgDumpVersion ?? "");
  return {
    kind: "native",
    dir,
    manifest,
    dbPart,
    filesPart,
    pgDumpMajor: major ? Number(major[1]) : null,
    modules: manifest.odoo?.modules ?? [],
    sourceDb: manifest.source?.dbName,
  };
}

/**
 * The SHA-256 of every part of a native backup against its manifest. Restores run it before they
 * create anything: a damaged part never gets as far as a temporary database or folder.
 */
export async function checkPartHashes(
  a: Extract<ArchiveInfo, { kind: "native" }>,
  signal?: AbortSignal,
): Promise<void> {
  for (const part of a.manifest.parts) {
    const { sha256 } = await sha256File(join(a.dir, part.name), signal);
    if (sha256 !== part.sha256) throw corrupt(`part ${part.name} does not match its SHA-256`);
  }
}

/**
 * Checks a native folder (manifest, every part present at its size; the hashes are
 * `checkPartHashes`) or an Odoo zip; throws E_BACKUP_CORRUPT naming the bad part.
 */
export async function inspectArchive(path: string): Promise<ArchiveInfo> {
  const st = await stat(path).catch(() => null);
  if (!st) throw new AppError("E_FILE_NOT_FOUND", `No backup at ${path}`);
  if (st.isDirectory()) return inspectNative(path);
  if (await isPgDump(path)) return { kind: "pg-dump", path, pgDumpMajor: null, modules: [], sourceDb: null };
  const zip = await openOdooZip(path).catch((e) => {
    if (isAppError(e)) throw e; // names the damaged entry
    throw corrupt(`${path} is not a readable zip (${(e as Error).message})`);
  });
  return {
    kind: "odoo-zip",
    path,
    zip,
    pgDumpMajor: zip.pgDumpMajor,
    modules: Object.keys(zip.manifest?.modules ?? {}).sort(),
    sourceDb: zip.manifest?.db_name ?? null,
  };
}
