/**
 * A destination that goes away (a real s3rver on loopback, stopped) is retried with exponential
 * back-off instead of on every pass: archive health shows its error, how many passes failed in a
 * row and the next try, and the `backup.wal_lag` lines keep naming it. Started again on the same
 * port, it catches up on its own with the whole backlog. Retention runs there too: with one base
 * backup kept, a newer base backup makes the older one and the WAL before it go.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import { S3Destination } from "../../plugins/backup/destinations/s3.ts";
import { EncryptedDestination } from "../../plugins/backup/encryption/encrypted-destination.ts";
import { takeBaseBackup } from "../../plugins/backup/pitr/base-backup.ts";
import { walProblems } from "../../plugins/backup/pitr/register.tsx";
import { archiveHealth } from "../../plugins/backup/pitr/health.ts";
import { shippingHealth } from "../../plugins/backup/pitr/ship/ship-health.ts";
import { ShipLoop } from "../../plugins/backup/pitr/ship/ship-loop.ts";
import { readMarker } from "../../plugins/backup/pitr/ship/shipper.ts";
import {
  ageKey,
  pitrWorkspace,
  streamedArchive,
  waitForArchive,
  until,
} from "../../plugins/backup/pitr/test-helpers.ts";
import { parseSegment, segmentOfLsn } from "../../plugins/backup/pitr/wal-segments.ts";
import { privatePg } from "../helpers/pg.ts";

setDefaultTimeout(420_000);

const ws = pitrWorkspace("odoodeck-walship-backoff-");
afterAll(() => ws.dispose(), 60_000);

test("an unreachable S3 backs off, shows it and alerts; started again it ships the backlog; retention deletes the old base", async () => {
  const pg = await privatePg();
  const a = await streamedArchive(pg, ws, "walbackoff");
  const s3dir = join(ws.root, "s3");
  const s3rver = (port: number) =>
    new S3rver({
      address: "127.0.0.1",
      port,
      silent: true,
      directory: s3dir,
      configureBuckets: [{ name: "wal" }],
    });
  let server = s3rver(0);
  const { port } = await server.run();
  ws.cleanups.push(() => server.close());
  const s3 = new S3Destination({
    endpoint: `http://127.0.0.1:${port}`,
    bucket: "wal",
    prefix: "odoodeck/",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
  });
  const dest = new EncryptedDestination(s3, ageKey());
  const instanceId = 11;
  const keys = async () =>
    ((await s3.client.list({ prefix: `odoodeck/pitr/${instanceId}/`, maxKeys: 1000 })).contents ?? [])
      .map((c) => c.key.slice(`odoodeck/pitr/${instanceId}/`.length))
      .sort();
  const backoff = { firstMs: 300, capMs: 1200 };
  const loop = new ShipLoop({
    instanceId,
    archiveDir: a.archiveDir,
    walDir: a.walDir,
    destinations: async () => [dest],
    policy: async () => ({ keepBases: 1, partialEveryMs: 0 }),
    intervalMs: 100,
    backoff,
  });
  loop.start();
  ws.cleanups.push(() => loop.stop());
  const ship = async () => (await shippingHealth(a.archiveDir, a.walDir))[0];
  await until("the first pass", async () => {
    const h = await ship();
    return h?.shippedAt && !h.basesPending && h;
  });

  // S3 goes away; more WAL closes
  await server.close();
  await a.tick(1, 5, 50);
  await waitForArchive(pg, a.slot);
  const down = await until("three failed passes in a row", async () => {
    const h = await ship();
    return h && h.failures >= 3 && h.retryAt ? h : null;
  });
  expect(down.lastError).toBeTruthy();
  expect(down.backlogSegments).toBeGreaterThan(0);
  // the wait doubles and is capped: after 3+ failures it is the cap
  expect(Date.parse(down.retryAt!) - Date.now()).toBeLessThanOrEqual(backoff.capMs);
  const problems = walProblems(
    {
      ...(await archiveHealth({ archiveDir: a.archiveDir, walDir: a.walDir, slot: a.slot, pg: a.target })),
      shipping: [down],
    },
    true,
  );
  expect(problems.some((p) => p.startsWith(`shipping to s3 failed ${down.failures} times in a row: `))).toBe(
    true,
  );
  expect(problems.some((p) => /\(next try \d\d:\d\d:\d\d UTC\)$/.test(p))).toBe(true);
  // between tries the loop leaves it alone: the last pass answered the back-off, not a new failure
  await until("a pass skipped in back-off", async () => loop.last.some((r) => "retryAt" in r && r.retryAt));

  // back on the same port: the backlog goes out on its own, the error clears
  server = s3rver(port);
  await server.run();
  const newest = readdirSync(a.walDir)
    .filter((f) => /^[0-9A-F]{24}$/.test(f))
    .sort()
    .at(-1)!;
  const up = await until("the backlog shipped", async () => {
    const h = await ship();
    return h && !h.lastError && h.backlogSegments === 0 && h.upTo === newest && h;
  });
  expect(up).toMatchObject({ failures: 0, retryAt: null, basesPending: 0 });
  expect(await keys()).toContain(`wal/${newest}.age`);

  // retention (one base backup kept): a newer base backup makes the first one and its WAL go
  const second = await takeBaseBackup(a.archiveDir, a.target);
  await waitForArchive(pg, a.slot); // one more closed segment: a pass after the base backup's own
  void loop.kick();
  const from = segmentOfLsn(second.startLsn);
  const segs = (k: string[]) =>
    k.filter((x) => /^wal\/[0-9A-F]{24}\.age$/.test(x)).map((x) => parseSegment(x.slice(4, 28))!.seq);
  // (the WAL before it goes once the segment it starts in is shipped: maybe a pass later)
  const left = await until("the first base backup and the WAL before the second deleted at S3", async () => {
    const k = await keys();
    return (
      k.some((x) => x.startsWith(`base/${second.name}/odoodeck-base.json`)) &&
      !k.some((x) => x.startsWith(`base/${a.base.name}/`)) &&
      segs(k).every((s) => s >= from) &&
      k
    );
  });
  expect(segs(left).length).toBeGreaterThan(0);
  const m = (await readMarker(dest, instanceId))!;
  expect(m.bases.map((b) => b.name)).toEqual([second.name]);
  expect(m.pruned).toEqual([a.base.name]);
});
