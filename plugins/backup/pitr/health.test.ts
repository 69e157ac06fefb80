/**
 * Archive health on the real test cluster: a streaming archive has no gap and no lag; removing a
 * closed segment is reported as a gap naming it; a role without REPLICATION is refused with the
 * exact statement that would allow it.
 */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privatePg, type TestPg } from "../../../server/sdk/testing.ts";

// Its own cluster: a base backup of the shared one would copy every database the run restored.
let cluster: Promise<TestPg> | null = null;
const getPg = () => (cluster ??= privatePg());
import { takeBaseBackup } from "./base-backup.ts";
import { archiveHealth } from "./health.ts";
import { checkReplication } from "./preflight.ts";
import { WalReceiver } from "./receiver.ts";
import { waitForArchive } from "./test-helpers.ts";
import { clusterDir } from "./tools.ts";
import { parseSegment, segmentOfLsn } from "./wal-segments.ts";

const root = mkdtempSync(join(tmpdir(), "odoodeck-pitr-health-"));
chmodSync(root, 0o711); // the archive's parents must let the cluster user (postgres) through
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

test("a removed segment shows as a gap; a streaming archive has none", async () => {
  const pg = await getPg();
  const target = { host: pg.host, port: pg.port, user: pg.user, password: pg.password };
  const slot = `odoodeck_health_${process.pid}`;
  const archiveDir = join(root, "a");
  const walDir = join(archiveDir, "wal");
  await clusterDir(archiveDir);
  await clusterDir(walDir);
  const rx = new WalReceiver({ pg: target, walDir, slot });
  await rx.start();
  cleanups.push(() => pg.psql("postgres", `SELECT pg_drop_replication_slot('${slot}')`));
  cleanups.push(() => rx.stop());
  const base = await takeBaseBackup(archiveDir, target);
  // three more closed segments after the base backup (a switch needs WAL written since the last)
  for (let i = 0; i < 3; i++)
    await pg.psql("postgres", "SELECT pg_logical_emit_message(false, 'odoodeck', 'tick'), pg_switch_wal()");
  await waitForArchive(pg, slot);
  const ok = await archiveHealth({ archiveDir, walDir, pg: target, slot });
  expect(ok.gaps.count).toBe(0);
  expect(ok.slotActive).toBe(true);
  expect(ok.lagBytes).toBe(0);
  expect(ok.window).not.toBeNull();
  const from = segmentOfLsn(base.startLsn);
  const closed = readdirSync(walDir)
    .filter((f) => !f.endsWith(".partial") && (parseSegment(f)?.seq ?? -1n) > from)
    .sort();
  expect(closed.length).toBeGreaterThanOrEqual(3);
  const victim = closed.at(-2)!;
  rmSync(join(walDir, victim));
  const bad = await archiveHealth({ archiveDir, walDir, pg: target, slot });
  expect(bad.gaps).toEqual({ count: 1, missing: [victim] });
}, 60_000);

test("a role without REPLICATION is refused with the statement that allows it", async () => {
  const pg = await getPg();
  const err = await checkReplication({
    host: pg.host,
    port: pg.port,
    user: pg.odooUser,
    password: pg.odooPassword,
  }).catch((e) => e);
  expect(err.code).toBe("E_WAL_REPLICATION");
  expect(err.hint).toBe('As a superuser: ALTER ROLE "odoo" REPLICATION;');
  const su = await checkReplication({ host: pg.host, port: pg.port, user: pg.user, password: pg.password });
  expect(su.walLevel).toBe("replica");
});
