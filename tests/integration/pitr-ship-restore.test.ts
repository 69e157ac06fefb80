/**
 * Continuous WAL through odoodeck itself, with S3 (a real s3rver) among the default destinations:
 * `backup.pitr-enable` starts streaming and shipping, `backup.pitr-status` shows S3 caught up,
 * then the whole local archive is deleted and `backup.pitr-restore` still recovers the database
 * to an instant between two commits — from S3, as its result says — through the safe path into
 * a new database. The instance's database lives on a cluster of its own (a base backup copies the
 * whole cluster).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";
import { slotName } from "../../plugins/backup/pitr/receiver.ts";
import { waitForArchive } from "../../plugins/backup/pitr/test-helpers.ts";
import type { TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { privatePg, type TestPg } from "../helpers/pg.ts";
import { setBackupSettings, startBackupApp } from "./backup-helpers.ts";

setDefaultTimeout(240_000);

let t: TestApp & { dir: string };
let pg: TestPg;
let s3: { close(): Promise<void> };
let instanceId: number;
const db = "acme_walship";

beforeAll(async () => {
  pg = await privatePg();
  t = await startBackupApp();
  // the archive's parents must let the cluster user (postgres) through
  for (let d = t.dataDir; d !== tmpdir() && d !== "/"; d = dirname(d)) chmodSync(d, 0o711);
  await pg.createDb(db);
  const r = Bun.spawnSync(
    [
      "pg_restore",
      "--no-owner",
      "-h",
      pg.host,
      "-p",
      String(pg.port),
      "-U",
      pg.user,
      "-d",
      db,
      FIXTURES.dump("acme_prod"),
    ],
    { env: { ...process.env, PGPASSWORD: pg.password } },
  );
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  const data = join(t.dir, "data");
  mkdirSync(join(data, "filestore", db), { recursive: true });
  const confPath = join(t.dir, "odoo.conf");
  // the superuser: it has REPLICATION (an instance's own role would need the grant odoodeck names)
  writeFileSync(
    confPath,
    `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ${pg.user}\ndb_password = ${pg.password}\ndb_name = ${db}\ndata_dir = ${data}\n`,
  );
  instanceId = await t.addLocalInstance({ name: "acme-wal", confPath, dbName: db });
  const s3dir = join(t.dir, "s3");
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: s3dir,
    configureBuckets: [{ name: "wal" }],
  });
  const { port } = await server.run();
  s3 = server;
  await setBackupSettings(t, {
    localDir: join(t.dir, "local"),
    defaultDestinations: "local,s3",
    s3Endpoint: `http://127.0.0.1:${port}`,
    s3Bucket: "wal",
    s3Prefix: "odoodeck/",
    s3AccessKey: "S3RVER",
    s3Secret: "S3RVER",
  });
});

afterAll(async () => {
  await t?.stop(); // stops the receiver and the shipping loop
  await pg?.psql("postgres", `SELECT pg_drop_replication_slot('${slotName(instanceId)}')`).catch(() => {});
  await s3?.close();
  rmSync(t.dir, { recursive: true, force: true });
});

const op = (id: string, input: Record<string, unknown>) => t.admin.postJson(`/api/v1/ops/${id}`, input);
async function waitOp(id: string) {
  for (;;) {
    const { body } = await t.admin.getJson(`/api/v1/operations/${id}`);
    if (body.data.status !== "running") return body.data;
    await Bun.sleep(200);
  }
}

test("enabled, shipped to S3, local archive deleted: the point-in-time restore recovers from S3", async () => {
  const enabled = await op("backup.pitr-enable", { instance: instanceId });
  expect(enabled.status).toBe(202);
  expect((await waitOp(enabled.body.data.operationId)).status).toBe("ok");
  await pg.psql(
    db,
    "CREATE TABLE ticks (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())",
  );
  for (let i = 1; i <= 10; i++) {
    await pg.psql(db, `INSERT INTO ticks (id) VALUES (${i})`);
    await Bun.sleep(150);
  }
  await waitForArchive(pg, slotName(instanceId));
  const archive = join(t.dataDir, "pitr", String(instanceId));
  const newest = readdirSync(join(archive, "wal"))
    .filter((f) => /^[0-9A-F]{24}$/.test(f))
    .sort()
    .at(-1);
  let status: any;
  for (let i = 0; ; i++) {
    status = (await op("backup.pitr-status", { instance: instanceId })).body.data;
    const s = status.shipping?.find((x: any) => x.dest === "s3");
    if (s && s.backlogSegments === 0 && s.basesPending === 0 && s.upTo === newest) break;
    if (i > 60) throw new Error(`S3 did not catch up to ${newest}: ${JSON.stringify(status.shipping)}`);
    await Bun.sleep(500);
  }
  expect(status.shipping.map((s: any) => s.dest)).toEqual(["s3"]);

  const atOf = async (id: number) =>
    new Date((await pg.psql(db, `SELECT at FROM ticks WHERE id = ${id}`)).trim());
  const T = new Date(((await atOf(6)).getTime() + (await atOf(7)).getTime()) / 2);
  rmSync(archive, { recursive: true, force: true });

  const r = await op("backup.pitr-restore", {
    instance: instanceId,
    at: T.toISOString(),
    newDb: "acme_walship_at_t",
    confirm: "acme-wal",
  });
  expect(r.body).toMatchObject({ ok: true });
  expect(r.status).toBe(202);
  const done = await waitOp(r.body.data.operationId);
  expect(done).toMatchObject({ status: "ok", steps: [{ result: { from: "s3" } }, {}, {}] });
  expect((await pg.psql("acme_walship_at_t", "SELECT count(*), max(id) FROM ticks")).trim()).toBe("6|6");
  expect((await pg.psql("acme_walship_at_t", "SELECT count(*) FROM res_partner")).trim()).toBe(
    (await pg.psql(db, "SELECT count(*) FROM res_partner")).trim(),
  );
});
