import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Hono } from "hono";
import { migrations } from "../../plugins/backup/migrations/index.ts";
import databasePlugin from "../../plugins/database/index.ts";
import { restoreRoutes } from "../../plugins/backup/http/routes-restore.tsx";
import { declareRestoreOperations } from "../../plugins/backup/ops/restore-ops.ts";
import { liveFixture, type RestoreEnv, restoreEnv } from "../../plugins/backup/tests/restore-test-helpers.ts";
import { definePlugin, type Env } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";

/** Only the restore side, mounted the way the backup plugin's index.ts mounts it (with its tables and operations). */
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
let prod: number;
let stagingDb: string;

function conf(name: string, db: string): string {
  const p = join(env.dataDir, `${name}.conf`);
  const pg = env.pgInfo;
  writeFileSync(
    p,
    `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\n` +
      `db_name = ${db}\ndata_dir = ${env.dataDir}\n`,
  );
  return p;
}

async function waitOp(id: string) {
  for (;;) {
    const { body } = await t.admin.getJson(`/api/v1/operations/${id}`);
    if (body.data.status !== "running") return body.data;
    await Bun.sleep(200);
  }
}

beforeAll(async () => {
  env = await restoreEnv("routes");
  // With the database plugin: dropping a rollback copy is its database.drop-rollback.
  t = await startTestApp({ plugins: [restoreOnly, databasePlugin] });
  stagingDb = await liveFixture(env, "acme_staging");
  const prodDb = await liveFixture(env, "acme_prod");
  staging = await t.addLocalInstance({
    name: "staging",
    confPath: conf("staging", stagingDb),
    dbName: stagingDb,
  });
  prod = await t.addLocalInstance({
    name: "prod",
    confPath: conf("prod", prodDb),
    dbName: prodDb,
    production: true,
  });
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe("restore pages and API", () => {
  test("upload an Odoo zip (streamed), restore it over staging: swapped, neutralized, rollback kept; a second restore gets E_BUSY", async () => {
    await t.admin.page(`/p/backup/i/${staging}/restore`);
    const res = await t.admin.request("POST", `/api/v1/backup/i/${staging}/restore/upload`, {
      body: Bun.file(FIXTURES.prodOdooBackupZip).stream(),
      headers: { Accept: "application/json", "Content-Type": "application/zip" },
    });
    const up = (await res.json()) as any;
    expect(up.ok).toBe(true);
    expect(up.data).toMatchObject({
      dbName: "acme_prod",
      files: 91,
      bytes: Bun.file(FIXTURES.prodOdooBackupZip).size,
    });

    const first = await t.admin.postJson(`/api/v1/backup/i/${staging}/restore`, {
      source: up.data.path,
      target: "instance",
    });
    expect(first.body.ok).toBe(true);
    const second = await t.admin.postJson(`/api/v1/backup/i/${staging}/restore`, { source: up.data.path });
    expect(second.body.error?.code).toBe("E_BUSY");

    const op = await waitOp(first.body.data.operationId);
    expect(op.status).toBe("ok");
    expect(await env.db(stagingDb).odooInfo()).toMatchObject({ installedModules: 39, partners: 101 });
    expect(await env.db(stagingDb).scalar("SELECT count(*) FROM ir_cron WHERE active")).toBe("1");
    const rb = await t.admin.getJson(`/api/v1/backup/i/${staging}/rollbacks`);
    expect(rb.body.data).toHaveLength(1);
    expect(rb.body.data[0]).toMatchObject({ database: true, filestore: true });
    expect((await env.db(rb.body.data[0].name).odooInfo()).installedModules).toBe(46);
    const { html } = await t.admin.page(`/p/backup/i/${staging}/restore`);
    expect(html).toContain(rb.body.data[0].name);
  }, 180_000);

  test("rollback drop runs database.drop-rollback: an admin with the copy's name typed; an operator is refused alike on page and /ops", async () => {
    const rb = (await t.admin.getJson(`/api/v1/backup/i/${staging}/rollbacks`)).body.data;
    expect(rb).toHaveLength(1);
    const name: string = rb[0].name;
    const operator = await t.client("operator");
    await operator.page(`/p/backup/i/${staging}/restore`);
    const page = await operator.post(`/p/backup/i/${staging}/rollbacks/${name}/drop`, { confirm: name });
    const api = await operator.postJson(`/api/v1/backup/i/${staging}/rollbacks/${name}/drop`, {
      confirm: name,
    });
    const ops = await operator.postJson("/api/v1/ops/database.drop-rollback", {
      instance: staging,
      name,
      confirm: name,
    });
    expect([page.status, api.status, ops.status]).toEqual([403, 403, 403]);
    expect(api.body.error).toMatchObject({ code: "E_FORBIDDEN", message: ops.body.error.message });
    const untyped = await t.admin.postJson(`/api/v1/backup/i/${staging}/rollbacks/${name}/drop`, {});
    expect(untyped.body.error.code).toBe("E_CONFIRMATION");
    expect((await t.admin.getJson(`/api/v1/backup/i/${staging}/rollbacks`)).body.data).toHaveLength(1);
    const { html } = await t.admin.page(`/p/backup/i/${staging}/restore`);
    expect(html).toContain(`placeholder="type ${name}"`);
    const res = await t.admin.post(`/p/backup/i/${staging}/rollbacks/${name}/drop`, { confirm: name });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/p/backup/i/${staging}/restore`);
    expect((await t.admin.getJson(`/api/v1/backup/i/${staging}/rollbacks`)).body.data).toEqual([]);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["result", "target", "details"])
      .where("action", "=", "database.drop-rollback")
      .execute();
    expect(
      audit.filter((a) => a.result === "ok").map((a) => [a.target, JSON.parse(a.details ?? "{}").surface]),
    ).toEqual([[name, "page"]]);
  }, 60_000);

  // The one production rule (the SDK's productionGuard, applied by the executor): E_FORBIDDEN.
  test("production: an operator gets E_FORBIDDEN, an admin must type the name (E_CONFIRMATION)", async () => {
    const op = await t.client("operator");
    await op.page("/");
    const a = await op.postJson(`/api/v1/backup/i/${prod}/restore`, {
      source: FIXTURES.prodOdooBackupZip,
      confirm: "prod",
    });
    expect(a.body.error?.code).toBe("E_FORBIDDEN");
    expect(a.body.error?.message).toContain("prod is marked production");
    const b = await t.admin.postJson(`/api/v1/backup/i/${prod}/restore`, {
      source: FIXTURES.prodOdooBackupZip,
      confirm: "staging",
    });
    expect(b.body.error?.code).toBe("E_CONFIRMATION");
    const viewer = await t.client("viewer");
    await viewer.page("/");
    const c = await viewer.postJson(`/api/v1/backup/i/${staging}/restore`, {
      source: FIXTURES.prodOdooBackupZip,
    });
    expect(c.body.error?.code).toBe("E_FORBIDDEN");
  }, 60_000);

  test("a non-zip upload is refused with E_BACKUP_CORRUPT and not kept", async () => {
    const res = await t.admin.request("POST", `/api/v1/backup/i/${staging}/restore/upload`, {
      body: "this is not a zip",
      headers: { Accept: "application/json" },
    });
    const j = (await res.json()) as any;
    expect(j.error?.code).toBe("E_BACKUP_CORRUPT");
  });
});
