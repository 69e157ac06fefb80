import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely, Migration } from "kysely";
import { migrateOwner as migrateCoreOwner } from "../db/migrate.ts";
import { openStore as openCoreStore } from "../db/open.ts";

/**
 * odoodeck/sdk/testing: what a plugin's own tests may use besides the SDK. Today the Odoo 17
 * fixtures (odoo.conf files, the acme databases and their filestores); a core started with the
 * plugin comes next. Not part of the binary: tests run from a checkout.
 * @example
 * import { FIXTURES } from "odoodeck/sdk/testing";
 * const conf = await Bun.file(FIXTURES.prodConf).text();
 */
export {
  extractFilestore,
  FIXTURES,
  FIXTURES_DIR,
  type FixtureDbName,
} from "../../tests/helpers/fixtures.ts";

/**
 * A throwaway store with one plugin's migrations applied, for a plugin's unit tests of its own
 * tables. Close it when done; it lives in a temporary folder that close() removes.
 * @example
 * const store = await openPluginStore("backup", migrations);
 * await store.db.selectFrom("backup_neutralize_reports").selectAll().execute();
 * await store.close();
 */
export async function openPluginStore(
  owner: string,
  migrations: Record<string, Migration>,
): Promise<{ db: Kysely<any>; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `odoodeck-${owner}-store-`));
  const store = openCoreStore(join(dir, "store.db"));
  await migrateCoreOwner(store.db, owner, migrations);
  return {
    db: store.db,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A store file at `path` (created if missing) with no migrations applied, for tests that run
 * migrations themselves (their order, a re-run); close it when done. openPluginStore does both in
 * a temporary folder.
 * @example
 * const store = openStore(join(dir, "store.db"));
 * await migrateOwner(store.db, "backup", migrations);
 * await store.close();
 */
export function openStore(path: string): { db: Kysely<any>; close(): Promise<void> } {
  const store = openCoreStore(path);
  return { db: store.db, close: store.close };
}

/**
 * Applies one plugin's migrations to a store, as the core does at start (bookkeeping tables
 * prefixed with `owner`); an error names the failed migration (E_INTERNAL).
 * @example
 * await migrateOwner(store.db, "backup", migrations);
 */
export async function migrateOwner(
  db: Kysely<any>,
  owner: string,
  migrations: Record<string, Migration>,
): Promise<void> {
  await migrateCoreOwner(db, owner, migrations);
}

/**
 * Real components for a plugin's tests, started once per test run: a throwaway PostgreSQL 15
 * cluster and an sshd on loopback (see tests/helpers), and the two kinds of Connection.
 * @example
 * const pg = await getPg(); const db = await fixtureDb("acme_prod");
 * const sshd = await getSshd(); const conn = new SshConnection({ host: sshd.host, port: sshd.port, … });
 */
export { fixtureDb, getPg, privatePg, type TestPg } from "../../tests/helpers/pg.ts";
export { getSshd, type TestSshd } from "../../tests/helpers/sshd.ts";
export { LocalConnection } from "../connections/local.ts";
export { SshConnection } from "../connections/ssh.ts";
