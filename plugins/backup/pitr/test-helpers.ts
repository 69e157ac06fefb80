/** Test helpers for continuous WAL: wait until the receiver has what the server has written. */
import type { TestPg } from "../../../server/sdk/testing.ts";

/** Resolves once the slot's receiver has written everything the server had written when called. */
export async function waitForArchive(pg: TestPg, slot: string, timeoutMs = 20_000): Promise<void> {
  // asynchronous commit: the WAL writer flushes within a few hundred ms; force it now
  await pg.psql("postgres", "SELECT pg_switch_wal()");
  const lsn = (await pg.psql("postgres", "SELECT pg_current_wal_flush_lsn()")).trim();
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = (
      await pg.psql(
        "postgres",
        `SELECT coalesce(r.write_lsn >= '${lsn}', false) FROM pg_replication_slots s
           LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = '${slot}'`,
      )
    ).trim();
    if (ok === "t") return;
    await Bun.sleep(100);
  }
  throw new Error(`the archive did not reach ${lsn} in ${timeoutMs} ms`);
}
