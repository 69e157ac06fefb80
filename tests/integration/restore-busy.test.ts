/**
 * A restore that replaces an instance's database marks it "restoring" while it runs: the
 * dashboard and the instance page show it, a second restore and a stop answer E_BUSY; once it has
 * ended the instance is back to its usual state. The restore is held at its first database step
 * by a real PostgreSQL lock (a session holding pg_database in EXCLUSIVE mode: CREATE DATABASE
 * waits for it, reads do not), so the test sees the middle of the restore without racing it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Hono } from "hono";
import { migrations } from "../../plugins/backup/migrations/index.ts";
import { restoreRoutes } from "../../plugins/backup/http/routes-restore.tsx";
import { declareRestoreOperations } from "../../plugins/backup/ops/restore-ops.ts";
import { liveFixture, type RestoreEnv, restoreEnv } from "../../plugins/backup/tests/restore-test-helpers.ts";
import { definePlugin, type Env } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { holdDatabaseCatalog, killCatalogWaiters, waitForCatalogWaiter } from "../helpers/pg-catalog-lock.ts";

const restoreOnly = definePlugin({
  id: "backup",
  name: "Backup (restore side)",
  version: "1.0.0",
  sdk: "^1",
  migrations,
  register(ctx) {
    declareRestoreOperations(ctx);
    const r = restoreRoutes(ctx);
    ctx.pages(new Hono<Env>().route("/", r.pages));
    ctx.api(new Hono<Env>().route("/", r.api));
  },
});

let t: TestApp;
let env: RestoreEnv;
let staging: number;
let release: (() => Promise<void>) | null = null;
let upload: string;
let stagingDb: string;

async function waitFor(what: string, check: () => Promise<boolean>, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

const badge = (html: string) => /data-lifecycle="(\w+)"/.exec(html)?.[1] ?? null;

beforeAll(async () => {
  env = await restoreEnv("busy");
  t = await startTestApp({ plugins: [restoreOnly] });
  const db = (stagingDb = await liveFixture(env, "acme_staging"));
  const pg = env.pgInfo;
  const conf = join(env.dataDir, "staging.conf");
  writeFileSync(
    conf,
    `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\n` +
      `db_name = ${db}\ndata_dir = ${env.dataDir}\n`,
  );
  staging = await t.addLocalInstance({ name: "staging", confPath: conf, dbName: db });
  await t.admin.page(`/p/backup/i/${staging}/restore`);
  const res = await t.admin.request("POST", `/api/v1/backup/i/${staging}/restore/upload`, {
    body: Bun.file(FIXTURES.prodOdooBackupZip).stream(),
    headers: { Accept: "application/json", "Content-Type": "application/zip" },
  });
  upload = ((await res.json()) as any).data.path;
}, 120_000);

afterAll(async () => {
  await release?.();
  await t?.stop();
  // The instance's database and the rollback copy the restore kept beside it, then the files.
  const pg = env.pgInfo;
  const made = await pg.psql(
    "postgres",
    `SELECT datname FROM pg_database WHERE starts_with(datname, '${stagingDb}')`,
  );
  for (const name of made.split("\n").filter(Boolean))
    await pg.psql("postgres", `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  rmSync(env.dataDir, { recursive: true, force: true });
}, 60_000);

test("a restore over the instance's database shows restoring, refuses a second restore and a stop, then clears", async () => {
  expect(badge((await t.admin.page(`/instances/${staging}`)).html)).toBe(null); // no runtime: no badge
  release = await holdDatabaseCatalog(env.pgInfo);
  const first = await t.admin.postJson(`/api/v1/backup/i/${staging}/restore`, {
    source: upload,
    target: "instance",
  });
  expect(first.body).toMatchObject({ ok: true });
  const opId: string = first.body.data.operationId;
  // Held at CREATE DATABASE of its temporary copy: the restore is running, the instance restoring.
  await waitForCatalogWaiter(env.pgInfo);
  expect(badge((await t.admin.page(`/instances/${staging}`)).html)).toBe("restoring");
  expect((await t.admin.page("/")).html).toContain('data-lifecycle="restoring"');

  const second = await t.admin.postJson(`/api/v1/backup/i/${staging}/restore`, { source: upload });
  expect(second.body.error?.code).toBe("E_BUSY");
  const stop = await t.admin.postJson("/api/v1/ops/instances.stop", { instance: staging });
  expect(stop.status).toBe(409);
  expect(stop.body.error).toMatchObject({ code: "E_BUSY", message: "staging is restoring" });
  expect((await t.admin.page(`/instances/${staging}/runtime`)).res.status).toBe(200);

  await release();
  release = null;
  await waitFor("the restore to end", async () => {
    const { body } = await t.admin.getJson(`/api/v1/operations/${opId}`);
    return body.data.status !== "running";
  });
  expect((await t.admin.getJson(`/api/v1/operations/${opId}`)).body.data.status).toBe("ok");
  expect(await env.db((await t.core.registry.instanceRow(staging)).db_name!).odooInfo()).toMatchObject({
    partners: 101,
  });
  // Back to what the instance is without odoodeck's mark: no runtime, no badge; stop is no longer busy.
  expect(badge((await t.admin.page(`/instances/${staging}`)).html)).toBe(null);
  expect((await t.admin.page("/")).html).not.toContain('data-lifecycle="restoring"');
  const after = await t.admin.postJson("/api/v1/ops/instances.stop", { instance: staging });
  expect(after.body.error?.code).toBe("E_NO_RUNTIME");
}, 240_000);

test("a restore that fails (its database session killed) clears the mark as well", async () => {
  release = await holdDatabaseCatalog(env.pgInfo);
  const started = await t.admin.postJson(`/api/v1/backup/i/${staging}/restore`, {
    source: upload,
    target: "instance",
  });
  expect(started.body).toMatchObject({ ok: true });
  await waitForCatalogWaiter(env.pgInfo);
  expect(badge((await t.admin.page(`/instances/${staging}`)).html)).toBe("restoring");
  await killCatalogWaiters(env.pgInfo);
  const opId: string = started.body.data.operationId;
  await waitFor("the restore to end", async () => {
    const { body } = await t.admin.getJson(`/api/v1/operations/${opId}`);
    return body.data.status !== "running";
  });
  await release();
  release = null;
  expect((await t.admin.getJson(`/api/v1/operations/${opId}`)).body.data.status).toBe("error");
  expect(badge((await t.admin.page(`/instances/${staging}`)).html)).toBe(null);
  const stop = await t.admin.postJson("/api/v1/ops/instances.stop", { instance: staging });
  expect(stop.body.error?.code).toBe("E_NO_RUNTIME");
}, 240_000);
