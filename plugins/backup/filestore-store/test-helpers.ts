/** For the object store's tests: a published files-only CAS backup, a folder's tree, a fresh age key. */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Connection } from "../../../server/sdk/index.ts";
import type { BackupManifest } from "../archive/format.ts";
import { publishNative, stagingName } from "../archive/publish.ts";
import type { Destination } from "../destinations/types.ts";
import { type AgeKey, identityFrom, recipientOf } from "../encryption/keys.ts";
import { backupFilestoreCas } from "./backup-step.ts";

/** path → sha256 of every file under dir. */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

export async function newKey(): Promise<AgeKey> {
  const p = Bun.spawn(["age-keygen"], { stdout: "pipe", stderr: "pipe" });
  const identity = identityFrom(await new Response(p.stdout).text());
  return { identity, recipient: await recipientOf(identity) };
}

/** Backs `filestore` up into `d`'s object store and publishes it as backup `name` (files only). */
export async function publishedCasBackup(conn: Connection, filestore: string, d: Destination, name: string) {
  const r = await backupFilestoreCas(conn, filestore, [d], (x) => stagingName(x, name), { cachePath: null });
  if (r.errors.size) throw [...r.errors.values()][0];
  const manifest = {
    format: "odoodeck-backup",
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    scope: "files",
    source: { instanceId: 1, instanceName: "acme", server: "local", dbName: "acme" },
    postgres: { serverVersion: "150000", pgDumpVersion: "15.0" },
    odoo: { version: null, modules: [] },
    counts: { res_users: 0, res_partner: 0, ir_attachment_stored: 0 },
    parts: [r.part],
    filestore: { files: r.files, bytes: r.bytes, format: "cas" },
  } satisfies BackupManifest;
  await publishNative(d, name, [r.part], JSON.stringify(manifest));
  return r;
}
