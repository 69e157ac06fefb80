/** Facts about the source that go into a backup's manifest, read from the live database. */
import type { Connection, odoo } from "../../../server/sdk/index.ts";
import { AppError } from "../../../server/sdk/index.ts";
import type { BackupManifest } from "./format.ts";

type OdooDb = odoo.OdooDb;

export interface SourceFacts {
  postgres: BackupManifest["postgres"];
  odoo: BackupManifest["odoo"];
  counts: BackupManifest["counts"];
  /** installed module → latest_version, as Odoo's own zip manifest lists them. */
  moduleVersions: Record<string, string>;
  serverVersionNum: number;
}

export async function readSourceFacts(db: OdooDb, pgDumpVersion: string): Promise<SourceFacts> {
  // Two psql round trips, not five: each is a process (and over SSH a channel) of its own.
  const [head] = await db.query<{ odoo: string; v: string }>(
    "SELECT to_regclass('public.ir_module_module') IS NOT NULL AS odoo, current_setting('server_version_num') AS v",
  );
  if (head?.odoo !== "t") {
    throw new AppError("E_NOT_ODOO", `Database "${db.database}" is not an Odoo database`, {
      hint: "Check db_name in the instance's odoo.conf",
    });
  }
  const serverVersionNum = Number(head.v);
  const doc = await db.scalar(
    `SELECT json_build_object(
       'mods', COALESCE((SELECT json_agg(json_build_object('name', name, 'v', latest_version) ORDER BY name)
                           FROM ir_module_module WHERE state = 'installed'), '[]'::json),
       'users', (SELECT count(*) FROM res_users),
       'partners', (SELECT count(*) FROM res_partner),
       'attachments', (SELECT count(*) FROM ir_attachment WHERE store_fname IS NOT NULL))::text`,
  );
  const c = JSON.parse(doc ?? "{}") as {
    mods: { name: string; v: string | null }[];
    users: number;
    partners: number;
    attachments: number;
  };
  const moduleVersions: Record<string, string> = {};
  for (const m of c.mods) moduleVersions[m.name] = m.v ?? "";
  return {
    serverVersionNum,
    postgres: { serverVersion: String(serverVersionNum), pgDumpVersion },
    odoo: { version: moduleVersions.base || null, modules: c.mods.map((m) => m.name) },
    counts: {
      res_users: Number(c.users),
      res_partner: Number(c.partners),
      ir_attachment_stored: Number(c.attachments),
    },
    moduleVersions,
  };
}

// A fixed script; the folder comes in as $1, never pasted into the text.
const COUNT_FILES = `[ -d "$1" ] || { echo "0 0"; exit 0; }; find "$1" -type f -printf '%s\\n' | awk '{n++; s+=$1} END {print n+0, s+0}'`;

/** Number of files and total bytes in a filestore folder (0/0 when it does not exist). */
export async function filestoreStats(
  conn: Connection,
  dir: string,
): Promise<{ files: number; bytes: number }> {
  const r = await conn.exec(["sh", "-c", COUNT_FILES, "odoodeck-count", dir], { timeoutMs: 600_000 });
  if (r.code !== 0) {
    throw new AppError("E_COMMAND_FAILED", `Could not count the filestore files in ${dir}`, {
      hint: r.stderr.trim().slice(0, 300),
    });
  }
  const [files, bytes] = r.stdout.trim().split(/\s+/).map(Number);
  return { files: files || 0, bytes: bytes || 0 };
}
