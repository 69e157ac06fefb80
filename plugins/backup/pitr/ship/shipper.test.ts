/**
 * WAL shipped to a server destination over a real sshd on loopback, age-encrypted like every
 * non-local copy: closed segments and the base backup arrive (never the `.partial` still being
 * written), the shipped-up-to marker names the newest segment, archive health shows the backlog
 * until the next pass, and after the whole local archive is deleted a database is recovered to
 * an instant between two commits from what the server holds.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getSshd, privatePg, SshConnection, type TestPg } from "../../../../server/sdk/testing.ts";
import { ServerDestination } from "../../destinations/server.ts";
import { EncryptedDestination } from "../../encryption/encrypted-destination.ts";
import { takeBaseBackup } from "../base-backup.ts";
import { fetchForRecovery, remoteArchives } from "./fetch-remote.ts";
import { WalReceiver } from "../receiver.ts";
import { recoverDatabase } from "../recover.ts";
import { baseFor } from "../restore-op.ts";
import { shippingHealth } from "./ship-health.ts";
import { readMarker, shipOnce } from "./shipper.ts";
import { waitForArchive } from "../test-helpers.ts";
import { clusterDir } from "../tools.ts";

setDefaultTimeout(180_000);

let cluster: Promise<TestPg> | null = null;
const getPg = () => (cluster ??= privatePg());

const root = mkdtempSync(join(tmpdir(), "odoodeck-walship-"));
chmodSync(root, 0o711); // the archive's parents must let the cluster user (postgres) through
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

async function ageKey() {
  const p = Bun.spawnSync(["age-keygen"]);
  const text = p.stdout.toString();
  const identity = text.split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"))!;
  const recipient = /public key: (age1\S+)/.exec(text + p.stderr.toString())![1]!;
  return { identity, recipient };
}

test("segments and base backups shipped over SSH, encrypted; recovery from the server after the local archive is deleted", async () => {
  const pg = await getPg();
  const target = { host: pg.host, port: pg.port, user: pg.user, password: pg.password };
  const db = `walship_src_${process.pid}`;
  const slot = `odoodeck_ship_${process.pid}`;
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
  for (let i = 1; i <= 12; i++) {
    await pg.psql(db, `INSERT INTO ticks (id) VALUES (${i})`);
    await Bun.sleep(150);
  }
  await waitForArchive(pg, slot); // switches WAL: the segment holding the rows is closed

  const sshd = await getSshd();
  const conn = new SshConnection({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.privateKey,
  });
  cleanups.push(() => conn.close());
  const serverDir = join(root, "server");
  const dest = new EncryptedDestination(new ServerDestination(conn, serverDir, "server:7"), await ageKey());
  const instanceId = 42;

  const first = await shipOnce({ instanceId, archiveDir, walDir, dest });
  expect(first.bases).toBe(1);
  expect(first.segments).toBeGreaterThan(0);
  const remoteWal = join(serverDir, "pitr", String(instanceId), "wal");
  const shipped = readdirSync(remoteWal).sort();
  const localClosed = readdirSync(walDir)
    .filter((f) => /^[0-9A-F]{24}$/.test(f))
    .sort();
  // every closed segment is there, encrypted; the one still being written (.partial) is not.
  // (pg_receivewal may close one more segment after the pass: at most one more locally.)
  expect(shipped.every((f) => /^[0-9A-F]{24}\.age$/.test(f))).toBe(true);
  expect(localClosed.slice(0, shipped.length)).toEqual(shipped.map((f) => f.replace(/\.age$/, "")));
  expect(localClosed.length - shipped.length).toBeLessThanOrEqual(1);
  expect(readFileSync(join(remoteWal, shipped[0]!)).subarray(0, 21).toString()).toBe("age-encryption.org/v1");
  expect(readdirSync(join(serverDir, "pitr", String(instanceId), "base", base.name)).sort()).toEqual([
    "backup_manifest.age",
    "base.tar.gz.age",
    "odoodeck-base.json.age",
    "pg_wal.tar.gz.age",
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
  for (let i = 13; i <= 20; i++) {
    await pg.psql(db, `INSERT INTO ticks (id) VALUES (${i})`);
    await Bun.sleep(150);
  }
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

  const atOf = async (id: number) =>
    new Date((await pg.psql(db, `SELECT at FROM ticks WHERE id = ${id}`)).trim());
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
  const restored = `walship_dst_${process.pid}`;
  await pg.createDb(restored);
  cleanups.push(() => pg.dropDb(restored));
  const r = Bun.spawnSync(
    ["pg_restore", "-h", pg.host, "-p", String(pg.port), "-U", pg.user, "-d", restored, out],
    {
      env: { ...process.env, PGPASSWORD: pg.password },
    },
  );
  expect(r.exitCode).toBe(0);
  expect((await pg.psql(restored, "SELECT count(*), max(id) FROM ticks")).trim()).toBe("17|17");
});
