/**
 * A quiet server's last commits reach the destination without pg_switch_wal(): rows committed into
 * a segment that stays open are shipped as `<segment>.partial` (encrypted, only the written part),
 * re-shipped when it changed but not more often than asked, and after the local archive is
 * deleted a recovery from the server to "latest" has every row — the `.partial` used as the last
 * segment, padded back to a whole one.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { privatePg } from "../../../../server/sdk/testing.ts";
import { recoverDatabase } from "../recover.ts";
import {
  pitrWorkspace,
  restoredTicks,
  streamedArchive,
  waitForArchive,
  sshServerDestination,
} from "../test-helpers.ts";
import { fetchForRecovery, remoteArchives } from "./fetch-remote.ts";
import { SEGMENT_BYTES, trimPadding } from "./partial.ts";
import { readMarker, shipOnce } from "./shipper.ts";

setDefaultTimeout(420_000);

const ws = pitrWorkspace("odoodeck-walpartial-");
afterAll(() => ws.dispose(), 60_000);

test("only the written pages of a .partial travel", () => {
  const seg = new Uint8Array(64 * 1024);
  expect(trimPadding(seg).length).toBe(0);
  seg[8192 + 10] = 1;
  expect(trimPadding(seg).length).toBe(16384);
});

test("rows committed on a quiet server are shipped in the .partial and recovered from the destination", async () => {
  const pg = await privatePg();
  const a = await streamedArchive(pg, ws, "walpartial");
  const { dest, serverDir } = await sshServerDestination(ws, "server:3");
  const instanceId = 3;
  const ship = (partialEveryMs: number) =>
    shipOnce({ instanceId, archiveDir: a.archiveDir, walDir: a.walDir, dest, partialEveryMs });
  const remoteWal = join(serverDir, "pitr", String(instanceId), "wal");

  // quiet: a commit, no segment switch — the segment holding it stays open
  await a.tick(1, 1, 0);
  await waitForArchive(pg, a.slot, 20_000, { switchWal: false });
  const first = await ship(0);
  expect(first.partial).toMatch(/^[0-9A-F]{24}$/);
  const marker = (await readMarker(dest, instanceId))!;
  expect(marker.partial?.name).toBe(first.partial!);
  expect(marker.upTo! < first.partial!).toBe(true);
  const file = join(remoteWal, `${first.partial}.partial.age`);
  expect(readFileSync(file).subarray(0, 21).toString()).toBe("age-encryption.org/v1");
  expect((await dest.size(`pitr/${instanceId}/wal/${first.partial}.partial`))!).toBeLessThan(SEGMENT_BYTES);

  // changed but within the cadence: not yet; due: shipped again, in place
  await a.tick(2, 2, 0);
  await waitForArchive(pg, a.slot, 20_000, { switchWal: false });
  expect((await ship(3_600_000)).partial).toBeNull();
  expect((await ship(0)).partial).toBe(first.partial!);
  expect(readdirSync(remoteWal).filter((f) => f.includes(".partial"))).toEqual([
    `${first.partial}.partial.age`,
  ]);

  // the local archive is lost: recovery to "latest" from the server has both rows
  await a.rx.stop();
  rmSync(a.archiveDir, { recursive: true, force: true });
  const [r] = await remoteArchives([dest], instanceId);
  const got = await fetchForRecovery({
    remote: r!,
    instanceId,
    base: r!.marker.bases.at(-1)!,
    into: join(ws.root, "fetched"),
  });
  ws.cleanups.push(got.cleanup);
  const out = join(ws.root, "partial.dump");
  try {
    await recoverDatabase({
      base: got.base,
      walDir: got.walDir,
      target: "latest",
      dbName: a.db,
      user: pg.user,
      outFile: out,
    });
  } finally {
    await got.cleanup();
  }
  expect(await restoredTicks(pg, ws, out, "walpartial")).toBe("2|2");
});
