/**
 * Retention of a shipped archive at a server destination (real sshd on loopback, age-encrypted):
 * with three base backups shipped and two kept, the oldest base backup and every segment before
 * the start of the oldest kept one are deleted there, the marker stops listing it (also after a
 * later pass from a local archive that still has it), and a recovery from what remains still
 * gives the rows committed up to T. The plan never drops the newest base backup, nor segments
 * past the shipped-up-to mark (not confirmed there yet).
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { privatePg } from "../../../../server/sdk/testing.ts";
import { type BaseBackup, takeBaseBackup } from "../base-backup.ts";
import { recoverDatabase } from "../recover.ts";
import {
  pitrWorkspace,
  restoredTicks,
  streamedArchive,
  waitForArchive,
  sshServerDestination,
} from "../test-helpers.ts";
import { parseSegment, segmentName, segmentOfLsn } from "../wal-segments.ts";
import { fetchForRecovery, remoteArchives } from "./fetch-remote.ts";
import { retentionPlan } from "./retention.ts";
import { readMarker, type ShippedMarker, shipOnce } from "./shipper.ts";

setDefaultTimeout(420_000);

const ws = pitrWorkspace("odoodeck-walkeep-");
afterAll(() => ws.dispose(), 60_000);

const base = (name: string, startLsn: string): BaseBackup => ({
  name,
  dir: `pitr/1/base/${name}`,
  startedAt: "",
  finishedAt: "",
  startLsn,
  endLsn: startLsn,
  timeline: 1,
  bytes: 0,
});
const marker = (over: Partial<ShippedMarker>): ShippedMarker => ({
  instanceId: 1,
  upTo: "000000010000000000000030",
  upToAt: null,
  bases: [base("b1", "0/10000028"), base("b2", "0/20000028"), base("b3", "0/2A000028")],
  writtenAt: "",
  walFrom: "000000010000000000000008",
  ...over,
});

test("the plan keeps the newest base backups and the WAL from the oldest kept one's start", () => {
  const p = retentionPlan(marker({}), 2);
  expect(p.dropped.map((b) => b.name)).toEqual(["b1"]);
  expect(p.kept.map((b) => b.name)).toEqual(["b2", "b3"]);
  expect(segmentName(1, p.cutoff!)).toBe("000000010000000000000020");
  expect(segmentName(1, p.from!)).toBe("000000010000000000000008");
  // never fewer than one: the newest and what follows it stay
  expect(retentionPlan(marker({}), 0).kept.map((b) => b.name)).toEqual(["b3"]);
  // segments not shipped yet (past the mark) are never deleted: they would arrive afterwards
  const behind = retentionPlan(marker({ upTo: "000000010000000000000012" }), 1);
  expect(segmentName(1, behind.cutoff!)).toBe("000000010000000000000013");
  expect(retentionPlan(marker({ upTo: null }), 1).cutoff).toBeNull();
});

test("a server destination keeps two base backups and the WAL they need; recovery still works", async () => {
  const pg = await privatePg();
  const a = await streamedArchive(pg, ws, "walkeep");
  const bases = [a.base];
  await a.tick(1, 3);
  await waitForArchive(pg, a.slot);
  for (const from of [4, 7]) {
    await Bun.sleep(1100); // base backups are named by the second
    bases.push(await takeBaseBackup(a.archiveDir, a.target));
    await a.tick(from, from + 2);
    await waitForArchive(pg, a.slot);
  }
  const { dest, serverDir } = await sshServerDestination(ws, "server:5");
  const instanceId = 5;
  const remote = join(serverDir, "pitr", String(instanceId));

  const first = await shipOnce({
    instanceId,
    archiveDir: a.archiveDir,
    walDir: a.walDir,
    dest,
    keepBases: 2,
  });
  expect(first.bases).toBe(3);
  expect(first.prunedBases).toEqual([bases[0]!.name]);
  expect(readdirSync(join(remote, "base")).sort()).toEqual([bases[1]!.name, bases[2]!.name]);
  const keepFrom = segmentOfLsn(bases[1]!.startLsn);
  const closed = readdirSync(join(remote, "wal"))
    .filter((f) => /^[0-9A-F]{24}\.age$/.test(f))
    .map((f) => parseSegment(f.slice(0, 24))!.seq)
    .sort((x, y) => (x < y ? -1 : 1));
  // nothing before the oldest kept base backup's start; everything from it to the mark
  expect(closed[0]).toBe(keepFrom);
  const m = (await readMarker(dest, instanceId))!;
  expect(closed.at(-1)).toBe(parseSegment(m.upTo!)!.seq);
  expect(closed.length).toBe(Number(closed.at(-1)! - keepFrom) + 1);
  expect(m.bases.map((b) => b.name)).toEqual([bases[1]!.name, bases[2]!.name]);
  expect(m.pruned).toEqual([bases[0]!.name]);
  expect(m.prunePending).toEqual([]);
  expect(parseSegment(m.walFrom!)!.seq).toBe(keepFrom);

  // a later pass from the local archive (which still has the oldest base) does not list it again
  await a.tick(10, 12);
  await waitForArchive(pg, a.slot);
  const second = await shipOnce({
    instanceId,
    archiveDir: a.archiveDir,
    walDir: a.walDir,
    dest,
    keepBases: 2,
  });
  expect(second.segments).toBeGreaterThan(0);
  expect(second.prunedBases).toEqual([]);
  expect((await readMarker(dest, instanceId))!.bases.map((b) => b.name)).toEqual([
    bases[1]!.name,
    bases[2]!.name,
  ]);
  expect(existsSync(join(remote, "base", bases[0]!.name))).toBe(false);

  // what remains is enough: the local archive is lost, recovery from the server to between 5 and 6,
  // from the oldest kept base backup (its WAL is all still there)
  await a.rx.stop();
  rmSync(a.archiveDir, { recursive: true, force: true });
  const T = new Date(((await a.atOf(5)).getTime() + (await a.atOf(6)).getTime()) / 2);
  const [r] = await remoteArchives([dest], instanceId);
  const pick = r!.marker.bases.filter((b) => new Date(b.finishedAt) <= T).at(-1)!;
  expect(pick.name).toBe(bases[1]!.name);
  const got = await fetchForRecovery({ remote: r!, instanceId, base: pick, into: join(ws.root, "fetched") });
  ws.cleanups.push(got.cleanup);
  const out = join(ws.root, "keep.dump");
  try {
    await recoverDatabase({
      base: got.base,
      walDir: got.walDir,
      target: T,
      dbName: a.db,
      user: pg.user,
      outFile: out,
    });
  } finally {
    await got.cleanup();
  }
  expect(await restoredTicks(pg, ws, out, "walkeep")).toBe("5|5");
});
