/**
 * Continuous WAL shipped to S3 (a real s3rver on loopback), age-encrypted: the shipping loop
 * uploads a segment once pg_receivewal closes it (no call, no interval in between: the interval
 * is longer than the test waits), never the `.partial`; an unreachable second destination is
 * reported in archive health and the alert lines while S3 keeps shipping; and once the local
 * archive is deleted (and a pass from the emptied archive leaves S3's marker whole), the restore's source is S3 and the database recovered from it holds
 * exactly the rows committed up to T.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import { S3Destination } from "../../plugins/backup/destinations/s3.ts";
import { EncryptedDestination } from "../../plugins/backup/encryption/encrypted-destination.ts";
import { takeBaseBackup } from "../../plugins/backup/pitr/base-backup.ts";
import { WalReceiver } from "../../plugins/backup/pitr/receiver.ts";
import { recoverDatabase } from "../../plugins/backup/pitr/recover.ts";
import { recoverySource } from "../../plugins/backup/pitr/ship/recovery-source.ts";
import { shippingHealth, shippingProblems } from "../../plugins/backup/pitr/ship/ship-health.ts";
import { ShipLoop } from "../../plugins/backup/pitr/ship/ship-loop.ts";
import { shipOnce } from "../../plugins/backup/pitr/ship/shipper.ts";
import { waitForArchive } from "../../plugins/backup/pitr/test-helpers.ts";
import { clusterDir } from "../../plugins/backup/pitr/tools.ts";
import { privatePg } from "../helpers/pg.ts";

setDefaultTimeout(180_000);

const root = mkdtempSync(join(tmpdir(), "odoodeck-walship-s3-"));
chmodSync(root, 0o711); // the archive's parents must let the cluster user (postgres) through
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

function ageKey() {
  const p = Bun.spawnSync(["age-keygen"]);
  const text = p.stdout.toString();
  const identity = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
  const recipient = /public key: (age1\S+)/.exec(text + p.stderr.toString())![1]!;
  return { identity, recipient };
}

async function until<T>(
  what: string,
  f: () => Promise<T | null | undefined | false>,
  ms = 45_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(200);
  }
}

test("shipped to S3 as segments close, an unreachable destination alerts, recovery from S3 once the local archive is gone", async () => {
  const pg = await privatePg();
  const target = { host: pg.host, port: pg.port, user: pg.user, password: pg.password };
  const s3dir = join(root, "s3");
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: s3dir,
    configureBuckets: [{ name: "wal" }],
  });
  const { port } = await server.run();
  cleanups.push(() => server.close());
  const key = ageKey();
  const s3 = new S3Destination({
    endpoint: `http://127.0.0.1:${port}`,
    bucket: "wal",
    prefix: "odoodeck/",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
  });
  const dest = new EncryptedDestination(s3, key);
  // nothing listens there: every upload fails
  const gone = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const deadPort = gone.port;
  gone.stop(true);
  const dead = new EncryptedDestination(
    new S3Destination(
      {
        endpoint: `http://127.0.0.1:${deadPort}`,
        bucket: "wal",
        accessKeyId: "x",
        secretAccessKey: "x",
      },
      "s3-offsite",
    ),
    key,
  );

  const db = `walship_s3_${process.pid}`;
  const slot = `odoodeck_ship_s3_${process.pid}`;
  await pg.createDb(db);
  cleanups.push(() => pg.dropDb(db));
  await pg.psql(
    db,
    "CREATE TABLE ticks (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())",
  );
  const archiveDir = join(root, "archive");
  const walDir = join(archiveDir, "wal");
  await clusterDir(archiveDir);
  await clusterDir(walDir);
  const rx = new WalReceiver({ pg: target, walDir, slot });
  await rx.start();
  cleanups.push(() => pg.psql("postgres", `SELECT pg_drop_replication_slot('${slot}')`));
  cleanups.push(() => rx.stop());
  const base = await takeBaseBackup(archiveDir, target);
  const instanceId = 9;
  const loop = new ShipLoop({
    instanceId,
    archiveDir,
    walDir,
    // server:99 could not be set up at all (say, its instance was removed): it is shown failing too
    destinations: async () => [dest, dead, { id: "server:99", error: "Instance 99 does not exist" }],
    intervalMs: 600_000,
  });
  loop.start();
  cleanups.push(() => loop.stop());
  // the first pass (the base backup, the segments so far) is over before the rows are written
  const before = await until("the first pass", async () =>
    (await shippingHealth(archiveDir, walDir)).find((s) => s.dest === "s3" && s.shippedAt && !s.basesPending),
  );

  for (let i = 1; i <= 12; i++) {
    await pg.psql(db, `INSERT INTO ticks (id) VALUES (${i})`);
    await Bun.sleep(150);
  }
  await waitForArchive(pg, slot); // closes the segment holding the rows: the watch starts a pass
  const newest = readdirSync(walDir)
    .filter((f) => /^[0-9A-F]{24}$/.test(f))
    .sort()
    .at(-1)!;
  expect(newest > (before.upTo ?? "")).toBe(true);
  const health = await until("S3 to reach the newest closed segment", async () => {
    const h = await shippingHealth(archiveDir, walDir);
    const ok = h.find((s) => s.dest === "s3");
    return ok?.upTo === newest && ok.backlogSegments === 0 && h.some((s) => s.dest === "s3-offsite") && h;
  });
  expect(health.find((s) => s.dest === "s3")).toMatchObject({ basesPending: 0, lastError: null });
  const offsite = health.find((s) => s.dest === "s3-offsite")!;
  expect(offsite.lastError).toBeTruthy();
  expect(offsite.basesPending).toBe(1);
  const lines = shippingProblems(health, 300);
  expect(lines.some((l) => l.startsWith("shipping to s3-offsite failed"))).toBe(true);
  expect(lines).toContain("shipping to server:99 failed: Instance 99 does not exist");
  expect(lines.some((l) => l.includes("shipping to s3 "))).toBe(false);

  const keys = (
    (await s3.client.list({ prefix: `odoodeck/pitr/${instanceId}/`, maxKeys: 1000 })).contents ?? []
  )
    .map((c) => c.key.slice(`odoodeck/pitr/${instanceId}/`.length))
    .sort();
  expect(keys).toContain(`wal/${newest}.age`);
  expect(keys).toContain(`base/${base.name}/base.tar.gz.age`);
  expect(keys).toContain("shipped.json.age");
  expect(keys.every((k) => k.endsWith(".age") && !k.includes(".partial"))).toBe(true);

  // the local archive is lost
  await loop.stop();
  await rx.stop();
  rmSync(archiveDir, { recursive: true, force: true });
  // a pass from the emptied archive (odoodeck still running) must not forget what S3 holds
  await clusterDir(archiveDir);
  await clusterDir(walDir);
  await shipOnce({ instanceId, archiveDir, walDir, dest });
  rmSync(archiveDir, { recursive: true, force: true });
  const atOf = async (id: number) =>
    new Date((await pg.psql(db, `SELECT at FROM ticks WHERE id = ${id}`)).trim());
  const T = new Date(((await atOf(8)).getTime() + (await atOf(9)).getTime()) / 2);
  const src = await recoverySource({
    instanceId,
    instanceName: "acme",
    archiveDir,
    walDir,
    local: null,
    remotes: async () => [dead, dest],
    at: T,
  });
  expect(src.from).toBe("s3");
  expect(src.base.name).toBe(base.name);
  const input = await src.prepare();
  const out = join(root, "db.dump");
  try {
    await recoverDatabase({
      base: input.base,
      walDir: input.walDir,
      target: T,
      dbName: db,
      user: pg.user,
      outFile: out,
    });
  } finally {
    await input.cleanup();
  }
  const restored = `walship_s3_dst_${process.pid}`;
  await pg.createDb(restored);
  cleanups.push(() => pg.dropDb(restored));
  const r = Bun.spawnSync(
    ["pg_restore", "-h", pg.host, "-p", String(pg.port), "-U", pg.user, "-d", restored, out],
    {
      env: { ...process.env, PGPASSWORD: pg.password },
    },
  );
  expect(r.exitCode).toBe(0);
  expect((await pg.psql(restored, "SELECT count(*), max(id) FROM ticks")).trim()).toBe("8|8");

  // a time after the last shipped segment is refused with the window, not attempted
  const late = await recoverySource({
    instanceId,
    instanceName: "acme",
    archiveDir,
    walDir,
    local: null,
    remotes: async () => [dest],
    at: new Date(Date.now() + 3_600_000),
  }).catch((e) => e);
  expect(late.code).toBe("E_PITR_WINDOW");
});
