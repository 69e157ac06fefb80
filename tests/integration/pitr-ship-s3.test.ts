/**
 * Continuous WAL shipped to S3 (a real s3rver on loopback), age-encrypted: the shipping loop
 * uploads a segment once pg_receivewal closes it (no call, no interval in between: the interval
 * is longer than the test waits), the `.partial` only beside the closed ones; an unreachable second destination is
 * reported in archive health and the alert lines while S3 keeps shipping; and once the local
 * archive is deleted (and a pass from the emptied archive leaves S3's marker whole), the restore's source is S3 and the database recovered from it holds
 * exactly the rows committed up to T.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import { S3Destination } from "../../plugins/backup/destinations/s3.ts";
import { EncryptedDestination } from "../../plugins/backup/encryption/encrypted-destination.ts";
import { recoverDatabase } from "../../plugins/backup/pitr/recover.ts";
import { recoverySource } from "../../plugins/backup/pitr/ship/recovery-source.ts";
import { shippingHealth, shippingProblems } from "../../plugins/backup/pitr/ship/ship-health.ts";
import { ShipLoop } from "../../plugins/backup/pitr/ship/ship-loop.ts";
import { shipOnce } from "../../plugins/backup/pitr/ship/shipper.ts";
import {
  ageKey,
  pitrWorkspace,
  restoredTicks,
  streamedArchive,
  waitForArchive,
  until,
} from "../../plugins/backup/pitr/test-helpers.ts";
import { clusterDir } from "../../plugins/backup/pitr/tools.ts";
import { privatePg } from "../helpers/pg.ts";

setDefaultTimeout(180_000);

const ws = pitrWorkspace("odoodeck-walship-s3-");
const { root, cleanups } = ws;
afterAll(() => ws.dispose(), 60_000);

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

  const { db, slot, archiveDir, walDir, base, rx, tick, atOf } = await streamedArchive(pg, ws, "walship_s3");
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

  await tick(1, 12);
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
  // (with how many passes failed in a row and the next try: the back-off)
  expect(
    lines.some((l) =>
      /^shipping to server:99 failed( \d+ times in a row)?: Instance 99 does not exist/.test(l),
    ),
  ).toBe(true);
  expect(lines.some((l) => l.includes("shipping to s3 "))).toBe(false);

  const keys = (
    (await s3.client.list({ prefix: `odoodeck/pitr/${instanceId}/`, maxKeys: 1000 })).contents ?? []
  )
    .map((c) => c.key.slice(`odoodeck/pitr/${instanceId}/`.length))
    .sort();
  expect(keys).toContain(`wal/${newest}.age`);
  expect(keys).toContain(`base/${base.name}/base.tar.zst.age`);
  expect(keys).toContain("shipped.json.age");
  expect(keys.every((k) => k.endsWith(".age"))).toBe(true);
  // the segment still being written travels only as a .partial after the newest closed one
  for (const k of keys.filter((k) => k.includes(".partial")))
    expect(k.slice(4, 28) > newest && k.endsWith(".partial.age")).toBe(true);

  // the local archive is lost
  await loop.stop();
  await rx.stop();
  rmSync(archiveDir, { recursive: true, force: true });
  // a pass from the emptied archive (odoodeck still running) must not forget what S3 holds
  await clusterDir(archiveDir);
  await clusterDir(walDir);
  await shipOnce({ instanceId, archiveDir, walDir, dest });
  rmSync(archiveDir, { recursive: true, force: true });
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
  expect(await restoredTicks(pg, ws, out, "walship_s3")).toBe("8|8");

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
