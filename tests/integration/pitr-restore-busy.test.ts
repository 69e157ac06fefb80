/**
 * A point-in-time restore marks the instance "restoring" exactly as backup.restore does, when it
 * replaces the instance's database: the dashboard and the instance page show it and a stop answers
 * E_BUSY until it ends. Into a new database beside the instance it marks nothing: the instance is
 * not being replaced. Each restore is held at its temporary database (CREATE DATABASE waits on
 * the pg_database lock a test session holds), after its recovery, so the test sees its middle.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { slotName } from "../../plugins/backup/pitr/receiver.ts";
import { waitForArchive } from "../../plugins/backup/pitr/test-helpers.ts";
import type { TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { privatePg, type TestPg } from "../helpers/pg.ts";
import { holdDatabaseCatalog, waitForCatalogWaiter } from "../helpers/pg-catalog-lock.ts";
import { startBackupApp } from "./backup-helpers.ts";

setDefaultTimeout(240_000);

let t: TestApp & { dir: string };
let pg: TestPg;
let shop: number;
let release: (() => Promise<void>) | null = null;
let T: Date;
const db = "acme_pitr_busy";

const badge = (html: string) => /data-lifecycle="(\w+)"/.exec(html)?.[1] ?? null;
const op = (id: string, input: Record<string, unknown>) => t.admin.postJson(`/api/v1/ops/${id}`, input);
async function waitOp(id: string) {
  for (;;) {
    const { body } = await t.admin.getJson(`/api/v1/operations/${id}`);
    if (body.data.status !== "running" && body.data.status !== "queued") return body.data;
    await Bun.sleep(200);
  }
}
const partners = async (name: string) =>
  (await pg.psql(name, "SELECT name FROM res_partner WHERE name LIKE 'busy-%' ORDER BY name")).trim();

beforeAll(async () => {
  pg = await privatePg();
  t = await startBackupApp();
  // the archive's parents must let the cluster user (postgres) through
  for (let d = t.dataDir; d !== tmpdir() && d !== "/"; d = dirname(d)) chmodSync(d, 0o711);
  await pg.createDb(db);
  const r = Bun.spawnSync(
    ["pg_restore", "--no-owner", "-h", pg.host, "-p", String(pg.port), "-U", pg.user, "-d", db],
    { stdin: Bun.file(FIXTURES.dump("acme_prod")), env: { ...process.env, PGPASSWORD: pg.password } },
  );
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  const data = join(t.dir, "data");
  mkdirSync(join(data, "filestore", db), { recursive: true });
  const confPath = join(t.dir, "odoo.conf");
  // the superuser: it has REPLICATION
  writeFileSync(
    confPath,
    `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ${pg.user}\ndb_password = ${pg.password}\ndb_name = ${db}\ndata_dir = ${data}\n`,
  );
  shop = await t.addLocalInstance({ name: "shop", confPath, dbName: db });
  const enabled = await op("backup.pitr-enable", { instance: shop });
  expect(enabled.status).toBe(202);
  expect((await waitOp(enabled.body.data.operationId)).status).toBe("ok");
  await pg.psql(db, "INSERT INTO res_partner (name, type, active) VALUES ('busy-1', 'contact', true)");
  T = new Date((await pg.psql(db, "SELECT clock_timestamp()")).trim());
  await Bun.sleep(1100);
  await pg.psql(db, "INSERT INTO res_partner (name, type, active) VALUES ('busy-2', 'contact', true)");
  await waitForArchive(pg, slotName(shop));
});

afterAll(async () => {
  await release?.();
  await t?.stop(); // stops the receiver; the private cluster goes with the run
  await pg?.psql("postgres", `SELECT pg_drop_replication_slot('${slotName(shop)}')`).catch(() => {});
  rmSync(t.dir, { recursive: true, force: true });
});

test("into a new database: the instance is not marked while the restore runs", async () => {
  release = await holdDatabaseCatalog(pg);
  const r = await op("backup.pitr-restore", {
    instance: shop,
    at: T.toISOString(),
    newDb: "acme_pitr_beside",
  });
  expect(r.body).toMatchObject({ ok: true });
  await waitForCatalogWaiter(pg); // recovered, now waiting to create its temporary database
  expect(badge((await t.admin.page(`/instances/${shop}`)).html)).toBe(null);
  expect((await t.admin.page("/")).html).not.toContain('data-lifecycle="restoring"');
  await release();
  release = null;
  const done = await waitOp(r.body.data.operationId);
  expect({ status: done.status, error: done.error ?? null }).toEqual({ status: "ok", error: null });
  expect(await partners("acme_pitr_beside")).toBe("busy-1");
});

test("replacing the instance's database: restoring on the pages, a stop is E_BUSY, then cleared", async () => {
  expect(badge((await t.admin.page(`/instances/${shop}`)).html)).toBe(null); // no runtime: no badge
  release = await holdDatabaseCatalog(pg);
  const r = await op("backup.pitr-restore", { instance: shop, at: T.toISOString(), confirm: "shop" });
  expect(r.body).toMatchObject({ ok: true });
  await waitForCatalogWaiter(pg);
  expect(badge((await t.admin.page(`/instances/${shop}`)).html)).toBe("restoring");
  expect((await t.admin.page("/")).html).toContain('data-lifecycle="restoring"');
  const stop = await op("instances.stop", { instance: shop });
  expect(stop.status).toBe(409);
  expect(stop.body.error).toMatchObject({ code: "E_BUSY", message: "shop is restoring" });

  await release();
  release = null;
  const done = await waitOp(r.body.data.operationId);
  expect({ status: done.status, error: done.error ?? null }).toEqual({ status: "ok", error: null });
  expect(await partners(db)).toBe("busy-1");
  expect(badge((await t.admin.page(`/instances/${shop}`)).html)).toBe(null);
  expect((await t.admin.page("/")).html).not.toContain('data-lifecycle="restoring"');
  expect((await op("instances.stop", { instance: shop })).body.error?.code).toBe("E_NO_RUNTIME");
});
