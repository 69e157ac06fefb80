/**
 * WAL shipped to a server destination over a real sshd on loopback, age-encrypted like every
 * non-local copy: closed segments and the base backup arrive (and the segment still being written
 * as `<segment>.partial`, after them), the shipped-up-to marker names the newest closed segment, archive health shows the backlog
 * until the next pass, and after the whole local archive is deleted a database is recovered to
 * an instant between two commits from what the server holds.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { privatePg, type TestPg } from "../../../../server/sdk/testing.ts";
import { fetchForRecovery, remoteArchives } from "./fetch-remote.ts";
import { recoverDatabase } from "../recover.ts";
import { baseFor } from "../restore-op.ts";
import { shippingHealth } from "./ship-health.ts";
import { readMarker, shipOnce } from "./shipper.ts";
import {
  pitrWorkspace,
  restoredTicks,
  streamedArchive,
  waitForArchive,
  sshServerDestination,
} from "../test-helpers.ts";

setDefaultTimeout(180_000);

let cluster: Promise<TestPg> | null = null;
const getPg = () => (cluster ??= privatePg());

const ws = pitrWorkspace("odoodeck-walship-");
const { root, cleanups } = ws;
afterAll(() => ws.dispose(), 60_000);

test("segments and base backups shipped over SSH, encrypted; recovery from the server after the local archive is deleted", async () => {
  const pg = await getPg();
  const { db, slot, archiveDir, walDir, rx, base, atOf, tick } = await streamedArchive(pg, ws, "walship");
  await tick(1, 12, 0); // no recovery target among these: they need no distinct commit instants
  await waitForArchive(pg, slot); // switches WAL: the segment holding the rows is closed

  const { dest, serverDir } = await sshServerDestination(ws, "server:7");
  const instanceId = 42;

  const first = await shipOnce({ instanceId, archiveDir, walDir, dest });
  expect(first.bases).toBe(1);
  expect(first.segments).toBeGreaterThan(0);
  const remoteWal = join(serverDir, "pitr", String(instanceId), "wal");
  const all = readdirSync(remoteWal).sort();
  const shipped = all.filter((f) => /^[0-9A-F]{24}\.age$/.test(f));
  const partials = all.filter((f) => !shipped.includes(f));
  const localClosed = readdirSync(walDir)
    .filter((f) => /^[0-9A-F]{24}$/.test(f))
    .sort();
  // every closed segment is there, encrypted, and at most the one still being written after them
  // as a .partial. (pg_receivewal may close one more segment after the pass: at most one more locally.)
  expect(partials.length).toBeLessThanOrEqual(1);
  for (const p of partials) {
    expect(p).toMatch(/^[0-9A-F]{24}\.partial\.age$/);
    expect(p.slice(0, 24) > shipped.at(-1)!.slice(0, 24)).toBe(true);
  }
  expect(localClosed.slice(0, shipped.length)).toEqual(shipped.map((f) => f.replace(/\.age$/, "")));
  expect(localClosed.length - shipped.length).toBeLessThanOrEqual(1);
  expect(readFileSync(join(remoteWal, shipped[0]!)).subarray(0, 21).toString()).toBe("age-encryption.org/v1");
  expect(readdirSync(join(serverDir, "pitr", String(instanceId), "base", base.name)).sort()).toEqual([
    "backup_manifest.age",
    "base.tar.zst.age",
    "odoodeck-base.json.age",
    "pg_wal.tar.age",
  ]);
  const marker = await readMarker(dest, instanceId);
  expect(marker?.upTo).toBe(localClosed.at(-1)!);
  expect(marker?.bases.map((b) => b.name)).toEqual([base.name]);
  expect((await shippingHealth(archiveDir, walDir))[0]).toMatchObject({
    dest: "server:7",
    backlogSegments: 0,
    basesPending: 0,
    lastError: null,
  });

  // more commits, a closed segment not shipped yet: health shows it waiting
  await tick(13, 20);
  await waitForArchive(pg, slot);
  const waiting = (await shippingHealth(archiveDir, walDir))[0]!;
  expect(waiting.backlogSegments).toBeGreaterThan(0);
  expect(waiting.backlogBytes).toBe(waiting.backlogSegments * 16 * 1024 * 1024);
  const second = await shipOnce({ instanceId, archiveDir, walDir, dest });
  expect(second.segments).toBe(waiting.backlogSegments);
  expect(second.bases).toBe(0);
  expect((await shippingHealth(archiveDir, walDir))[0]!.backlogSegments).toBe(0);

  // the local archive is lost
  await rx.stop();
  rmSync(archiveDir, { recursive: true, force: true });
  expect(existsSync(archiveDir)).toBe(false);

  const t17 = await atOf(17);
  const t18 = await atOf(18);
  const T = new Date((t17.getTime() + t18.getTime()) / 2);
  const [remote] = await remoteArchives([dest], instanceId);
  expect(remote?.dest.id).toBe("server:7");
  const pick = baseFor(remote!.marker.bases, T, remote!.marker.upToAt);
  const got = await fetchForRecovery({
    remote: remote!,
    instanceId,
    base: pick,
    into: join(root, "fetched"),
  });
  cleanups.push(got.cleanup);
  expect(got.segments).toBeGreaterThan(0);
  const out = join(root, "db.dump");
  await recoverDatabase({
    base: got.base,
    walDir: got.walDir,
    target: T,
    dbName: db,
    user: pg.user,
    outFile: out,
  });
  await got.cleanup();
  expect(existsSync(join(root, "fetched"))).toBe(false);
  expect(await restoredTicks(pg, ws, out, "walship")).toBe("17|17");
});
