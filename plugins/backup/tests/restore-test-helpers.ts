/**
 * Test helpers for the restore side: a native backup made from a fixture database with the raw
 * tools (so restore tests do not depend on the backup side), and a restore target on the test
 * cluster connecting as the non-superuser `odoo` role, the way a real odoo.conf does.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  extractFilestore,
  type FixtureDbName,
  fixtureDb,
  getPg,
  LocalConnection,
  type TestPg,
} from "../../../server/sdk/testing.ts";
import type { Connection } from "../../../server/sdk/index.ts";
import { odoo } from "../../../server/sdk/index.ts";
import type { BackupManifest } from "../archive/format.ts";
import { sha256File } from "../archive/fanout.ts";
import type { RestoreTarget } from "../restore/restore.ts";

async function sh(cmd: string[], env: Record<string, string> = {}): Promise<string> {
  const p = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  if (code !== 0) throw new Error(`${cmd[0]} exited ${code}: ${err}`);
  return out;
}

/** A fresh directory for one test. */
export function testDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `odoodeck-restore-${label}-`));
}

export interface RestoreEnv extends RestoreTarget {
  pgInfo: TestPg;
  /** odoo role connection on database `db`. */
  db(name: string): odoo.OdooDb;
  dataDir: string;
}

/** A data_dir with an empty filestore root, and pg settings of the `odoo` role. */
export async function restoreEnv(label: string): Promise<RestoreEnv> {
  const pgInfo = await getPg();
  const conn: Connection = new LocalConnection();
  const dataDir = testDir(label);
  mkdirSync(join(dataDir, "filestore"));
  const pg = { host: pgInfo.host, port: pgInfo.port, user: pgInfo.odooUser, password: pgInfo.odooPassword };
  return {
    conn,
    pg,
    pgInfo,
    dataDir,
    filestoreRoot: join(dataDir, "filestore"),
    db: (name) => new odoo.OdooDb(conn, { ...pg, database: name }),
  };
}

/** A live "instance": a fresh copy of the fixture database plus its filestore under `filestoreRoot`. */
export async function liveFixture(env: RestoreEnv, name: FixtureDbName): Promise<string> {
  const db = await fixtureDb(name);
  const tmp = testDir("fs");
  const extracted = await extractFilestore(name, tmp);
  await sh(["mv", extracted, join(env.filestoreRoot, db)]);
  return db;
}

/**
 * Builds `<outDir>/<name>.odoodeck/` from a database and filestore folder with the raw tools:
 * `pg_dump -Fc -Z0 | zstd -1`, `tar -C fs . | zstd -1`, and a manifest with real counts.
 */
export async function makeNativeBackup(env: RestoreEnv, dbName: string, filestore: string, outDir: string) {
  const pg = env.pgInfo;
  const dir = join(outDir, `${dbName}.odoodeck`);
  mkdirSync(dir, { recursive: true });
  const pgEnv = { PGPASSWORD: pg.password };
  const conn = ["-h", pg.host, "-p", String(pg.port), "-U", pg.user];
  await sh(
    ["sh", "-c", `pg_dump -Fc -Z0 "$@" | zstd -1 -q -o '${dir}/db.dump.zst'`, "x", ...conn, dbName],
    pgEnv,
  );
  await sh(["sh", "-c", `tar -C '${filestore}' -cf - . | zstd -1 -q -o '${dir}/filestore.tar.zst'`]);
  const info = await env.db(dbName).odooInfo();
  const modules = (
    await env
      .db(dbName)
      .query<{ name: string }>("SELECT name FROM ir_module_module WHERE state='installed' ORDER BY name")
  ).map((r) => r.name);
  const files = (await sh(["find", filestore, "-type", "f"])).split("\n").filter(Boolean).length;
  const part = async (name: string, contains: "pg_dump-custom" | "filestore-tar") => {
    const { sha256, bytes } = await sha256File(join(dir, name));
    return { name, bytes, sha256, compression: "zstd" as const, contains };
  };
  const manifest: BackupManifest = {
    format: "odoodeck-backup",
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    scope: "full",
    source: { instanceId: 1, instanceName: "test", server: "local", dbName },
    postgres: {
      serverVersion: await env.db(dbName).scalar("SHOW server_version_num").then(String),
      pgDumpVersion: "15.18",
    },
    odoo: { version: info.version, modules },
    counts: {
      res_users: info.users,
      res_partner: info.partners,
      ir_attachment_stored: info.storedAttachments,
    },
    parts: [await part("db.dump.zst", "pg_dump-custom"), await part("filestore.tar.zst", "filestore-tar")],
    filestore: { files, bytes: 0 },
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  return { dir, manifest };
}

/** Row counts a user would look at, to prove a database was left untouched. */
export async function fingerprint(env: RestoreEnv, db: string) {
  return env.db(db).odooInfo();
}

/** The error code and message a promise rejects with ("no error" when it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: "no error", message: "" };
  } catch (e) {
    return { code: (e as { code?: string }).code ?? String(e), message: (e as Error).message };
  }
}

/** Names of the test cluster's databases matching a LIKE pattern, sorted. */
export async function databasesLike(env: RestoreEnv, pattern: string): Promise<string[]> {
  const out = await env.pgInfo.psql(
    "postgres",
    `SELECT datname FROM pg_database WHERE datname LIKE '${pattern}' ORDER BY 1`,
  );
  return out.split("\n").filter(Boolean);
}
