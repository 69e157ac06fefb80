import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

/** The read-only Odoo 17 fixtures (see their README for the facts tests assert). */
export const FIXTURES_DIR = resolve(import.meta.dir, "../../../shared/fixtures/odoo17");

export type FixtureDbName = "acme_prod" | "acme_staging";

export const FIXTURES = {
  dir: FIXTURES_DIR,
  prodConf: join(FIXTURES_DIR, "odoo-prod.conf"),
  stagingConf: join(FIXTURES_DIR, "odoo-staging.conf"),
  log: join(FIXTURES_DIR, "odoo.log"),
  prodOdooBackupZip: join(FIXTURES_DIR, "acme_prod.odoo-backup.zip"),
  dump: (name: FixtureDbName) => join(FIXTURES_DIR, `${name}.dump`),
  filestoreTar: (name: FixtureDbName) => join(FIXTURES_DIR, `${name}.filestore.tar.gz`),
};

/** Extracts `<name>.filestore.tar.gz` into destDir; returns the filestore folder `<destDir>/<name>`. */
export async function extractFilestore(name: FixtureDbName, destDir: string): Promise<string> {
  mkdirSync(destDir, { recursive: true });
  const p = Bun.spawn(["tar", "-xzf", FIXTURES.filestoreTar(name), "-C", destDir], { stderr: "pipe" });
  if ((await p.exited) !== 0) throw new Error(`tar failed: ${await new Response(p.stderr).text()}`);
  return join(destDir, name);
}
