/**
 * Holding a restore in the middle, without racing it: a superuser session holds pg_database in
 * EXCLUSIVE mode, so CREATE DATABASE (a restore's temporary copy) waits for it while reads and new
 * connections do not. The restore-busy tests look at the instance while a restore waits here.
 */
import { join } from "node:path";
import type { TestPg } from "./pg.ts";

const onCatalog = "FROM pg_locks WHERE relation = 'pg_catalog.pg_database'::regclass";
/**
 * Client sessions waiting on the held lock. Not autovacuum: a cluster that has created and dropped
 * many databases (a whole test run's) vacuums pg_database, and that worker waits on the lock too;
 * taken for the restore and killed in its place, it left the restore waiting until the test timed out.
 */
const clientWaiters = `FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.relation = 'pg_catalog.pg_database'::regclass AND NOT l.granted AND a.backend_type = 'client backend'`;

async function waitFor(what: string, check: () => Promise<boolean>, ms: number) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

/** Takes the lock and answers how to release it (ROLLBACK, then the session ends). */
export async function holdDatabaseCatalog(pg: TestPg): Promise<() => Promise<void>> {
  const psql = Bun.spawn(
    [join(pg.binDir, "psql"), "-X", "-q", "-h", pg.host, "-p", String(pg.port), "-U", pg.user, "postgres"],
    { env: { ...process.env, PGPASSWORD: pg.password }, stdin: "pipe", stdout: "ignore", stderr: "ignore" },
  );
  psql.stdin.write("BEGIN; LOCK TABLE pg_catalog.pg_database IN EXCLUSIVE MODE; SELECT 1;\n");
  await psql.stdin.flush();
  await waitFor(
    "the catalog lock",
    async () =>
      (
        await pg.psql("postgres", `SELECT count(*) ${onCatalog} AND mode = 'ExclusiveLock' AND granted`)
      ).trim() !== "0",
    60_000,
  );
  return async () => {
    psql.stdin.write("ROLLBACK;\n");
    await psql.stdin.end();
    await psql.exited;
  };
}

/** Resolves once some session waits on the held catalog lock (e.g. a restore's CREATE DATABASE). */
export function waitForCatalogWaiter(pg: TestPg, ms = 120_000): Promise<void> {
  return waitFor(
    "a session to wait on the catalog lock",
    async () => (await pg.psql("postgres", `SELECT count(*) ${clientWaiters}`)).trim() !== "0",
    ms,
  );
}

/** Ends the sessions waiting on the catalog lock (their statement fails). */
export async function killCatalogWaiters(pg: TestPg): Promise<void> {
  await pg.psql("postgres", `SELECT pg_terminate_backend(l.pid) ${clientWaiters}`);
}
