import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import databasePlugin from "../../plugins/database/index.ts";
import { loadPage } from "../helpers/htmx.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";

let t: TestApp;
let pg: TestPg;
let dir: string;
let operator: TestClient;
let viewer: TestClient;
let db: string;
let id: number;

function writeConf(name: string, dbName: string, opts: { password?: string; port?: number } = {}): string {
  const path = join(dir, `${name}.conf`);
  writeFileSync(
    path,
    `[options]\ndb_host = 127.0.0.1\ndb_port = ${opts.port ?? pg.port}\ndb_user = ${pg.odooUser}\n` +
      `db_password = ${opts.password ?? pg.odooPassword}\ndb_name = ${dbName}\ndata_dir = ${join(dir, "data")}\n`,
  );
  return path;
}

const audits = (action: string) =>
  t.core.db.selectFrom("audit_log").selectAll().where("action", "=", action).execute();

beforeAll(async () => {
  pg = await getPg();
  dir = mkdtempSync(join(tmpdir(), "odoodeck-dbact-"));
  db = await fixtureDb("acme_prod");
  t = await startTestApp({ plugins: [databasePlugin] });
  id = await t.addLocalInstance({ name: "acme-prod", confPath: writeConf("prod", db), production: true });
  operator = await t.client("operator");
  viewer = await t.client("viewer");
}, 120_000);

afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function finished(opId: string) {
  for (let i = 0; i < 600; i++) {
    const { body } = await t.admin.getJson(`/api/v1/operations/${opId}`);
    if (body.data.status !== "running") return body.data;
    await Bun.sleep(50);
  }
  throw new Error("operation did not finish");
}

describe("VACUUM ANALYZE", () => {
  test("an operator vacuums a table (an operation); last vacuum is then set", async () => {
    const r = await operator.postJson(`/api/v1/database/i/${id}/vacuum`, { table: "res_partner" });
    expect(r.status).toBe(200);
    expect(r.body.data.table).toBe("res_partner");
    const op = await finished(r.body.data.operationId);
    expect(op).toMatchObject({ status: "ok", kind: "database.vacuum" });
    expect(op.steps[0].result.lastVacuum).not.toBeNull();
    expect(op.log).toContain("VACUUM (ANALYZE) public.res_partner");
    expect(
      await pg.psql(
        db,
        "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'res_partner'",
      ),
    ).toBe("t\n");
    for (let i = 0; i < 100 && !(await audits("database.vacuum")).some((a: any) => a.result === "ok"); i++)
      await Bun.sleep(50);
    expect((await audits("database.vacuum")).some((a: any) => a.result === "ok")).toBe(true);
    // The call's entry comes from the executor (the route runs database.vacuum), from the API.
    const entries = await audits("database.vacuum");
    // (and one when the vacuum ends)
    expect(new Set(entries.map((a: any) => JSON.parse(a.details).surface))).toEqual(new Set(["api"]));
  });

  test("a table name is looked up, never pasted; a viewer is refused", async () => {
    const evil = await operator.postJson(`/api/v1/database/i/${id}/vacuum`, {
      table: "res_partner; DROP TABLE res_users",
    });
    expect(evil.body.error.code).toBe("E_NOT_FOUND");
    expect(await pg.psql(db, "SELECT count(*) FROM res_users")).toBe("8\n");
    const v = await viewer.postJson(`/api/v1/database/i/${id}/vacuum`, { table: "res_partner" });
    expect(v.status).toBe(403);
  });

  test("the page, the API and REST /ops refuse a viewer alike; another instance is not found", async () => {
    await viewer.page("/");
    const page = await viewer.post(`/p/database/i/${id}/database/vacuum`, { table: "res_partner" });
    const api = await viewer.postJson(`/api/v1/database/i/${id}/vacuum`, { table: "res_partner" });
    const ops = await viewer.postJson("/api/v1/ops/database.vacuum", { instance: id, table: "res_partner" });
    expect([page.status, api.status, ops.status]).toEqual([403, 403, 403]);
    expect([api.body.error.code, ops.body.error.code]).toEqual(["E_FORBIDDEN", "E_FORBIDDEN"]);
    expect(api.body.error.message).toBe(ops.body.error.message);
    // An operator granted only on another instance acts on this one: it does not exist for them.
    const otherId = await t.addLocalInstance({ name: "acme-other", confPath: writeConf("other", db) });
    const elsewhere = await t.client("none", "db-op-elsewhere");
    const user = await t.core.db
      .selectFrom("users")
      .select("id")
      .where("username", "=", "db-op-elsewhere")
      .executeTakeFirstOrThrow();
    await t.core.db
      .insertInto("grants")
      .values({ user_id: user.id, instance_id: otherId, role: "operator" })
      .execute();
    await elsewhere.page("/"); // its CSRF token
    const onPage = await elsewhere.post(`/p/database/i/${id}/database/cancel`, { pid: "1" });
    const onOps = await elsewhere.postJson("/api/v1/ops/database.cancel-query", { instance: id, pid: 1 });
    expect([onPage.status, onOps.status]).toEqual([404, 404]);
    expect(onOps.body.error.code).toBe("E_NOT_FOUND");
  }, 30_000);

  test("the page form works and says so", async () => {
    await loadPage(operator, `/p/database/i/${id}/database`);
    const res = await operator.post(`/p/database/i/${id}/database/vacuum`, { table: "mail_mail" });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("VACUUM ANALYZE mail_mail started");
    const opId = /href="\/operations\/([0-9a-f-]+)">follow it/.exec(html)?.[1];
    expect(opId).toBeDefined();
    expect((await finished(opId!)).status).toBe("ok");
  });
});

describe("cancel a query", () => {
  test("a long query shows up and an operator cancels it", async () => {
    const sleeper = Bun.spawn(
      [
        "psql",
        "-X",
        "-h",
        pg.host,
        "-p",
        String(pg.port),
        "-U",
        pg.odooUser,
        "-d",
        db,
        "-c",
        "SELECT pg_sleep(30) AS long_one",
      ],
      { env: { ...process.env, PGPASSWORD: pg.odooPassword }, stderr: "pipe", stdout: "pipe" },
    );
    let pid = 0;
    for (let i = 0; i < 100 && !pid; i++) {
      const { body } = await t.admin.getJson(`/api/v1/database/i/${id}`);
      pid = body.data.activity.find((a: any) => a.query.includes("long_one"))?.pid ?? 0;
      if (!pid) await Bun.sleep(100);
    }
    expect(pid).toBeGreaterThan(0);
    const { html } = await loadPage(viewer, `/p/database/i/${id}/database`);
    expect(html).toContain("SELECT pg_sleep(30) AS long_one");
    expect((await viewer.postJson(`/api/v1/database/i/${id}/cancel`, { pid })).status).toBe(403);
    const r = await operator.postJson(`/api/v1/database/i/${id}/cancel`, { pid });
    expect(r.body.data).toEqual({ pid, cancelled: true });
    expect(await sleeper.exited).not.toBe(0);
    expect(await new Response(sleeper.stderr).text()).toContain("canceling statement due to user request");
  });

  test("a pid of another database or a bad pid is refused", async () => {
    const other = Number((await pg.psql("postgres", "SELECT pg_backend_pid()")).trim());
    expect((await operator.postJson(`/api/v1/database/i/${id}/cancel`, { pid: other })).body.error.code).toBe(
      "E_NOT_FOUND",
    );
    expect(
      (await operator.postJson(`/api/v1/database/i/${id}/cancel`, { pid: "1 OR true" })).body.error.code,
    ).toBe("E_VALIDATION");
  });
});

describe("drop a rollback copy", () => {
  test("listed, refused without admin or confirmation, then dropped", async () => {
    const copy = `${db}__rollback_20240101`;
    await pg.createDb(copy, { owner: pg.odooUser });
    const { html } = await loadPage(t.admin, `/p/database/i/${id}/database`);
    expect(html).toContain(copy);
    expect(
      (await operator.postJson(`/api/v1/database/i/${id}/drop-rollback`, { name: copy, confirm: copy }))
        .status,
    ).toBe(403);
    const noConfirm = await t.admin.postJson(`/api/v1/database/i/${id}/drop-rollback`, {
      name: copy,
      confirm: "yes",
    });
    expect(noConfirm.body.error.code).toBe("E_CONFIRMATION");
    const notACopy = await t.admin.postJson(`/api/v1/database/i/${id}/drop-rollback`, {
      name: db,
      confirm: db,
    });
    expect(notACopy.body.error.code).toBe("E_VALIDATION");
    const ok = await t.admin.postJson(`/api/v1/database/i/${id}/drop-rollback`, {
      name: copy,
      confirm: copy,
    });
    expect(ok.body.data).toMatchObject({ dropped: copy, filestoreRemoved: false });
    expect(await pg.psql("postgres", `SELECT count(*) FROM pg_database WHERE datname = '${copy}'`)).toBe(
      "0\n",
    );
    expect(await pg.psql("postgres", `SELECT count(*) FROM pg_database WHERE datname = '${db}'`)).toBe("1\n");
    // database.drop-rollback's executor records each call, the operator's refused one too.
    const rows = await audits("database.drop-rollback");
    expect(rows.map((r: any) => r.result).sort()).toEqual(["error", "error", "error", "ok"]);
  });
});

describe("faults: clear errors, the rest of the page renders", () => {
  test("a database that is not Odoo still shows its PostgreSQL facts", async () => {
    const name = `plain_actions_${process.pid}`;
    await pg.createDb(name, { owner: pg.odooUser });
    const nid = await t.addLocalInstance({ name: "plain", confPath: writeConf("plain", name) });
    const { res, html } = await loadPage(t.admin, `/p/database/i/${nid}/database`);
    expect(res.status).toBe(200);
    expect(html).toContain("E_NOT_ODOO");
    expect(html).toContain('id="db-facts"');
    expect(html).not.toContain("active crons");
  });

  test("wrong credentials and an unreachable server", async () => {
    const bad = await t.addLocalInstance({
      name: "bad",
      confPath: writeConf("bad", db, { password: "nope" }),
    });
    const down = await t.addLocalInstance({ name: "down", confPath: writeConf("down", db, { port: 1 }) });
    const a = await loadPage(t.admin, `/p/database/i/${bad}/database`);
    expect(a.res.status).toBe(200);
    expect(a.html).toContain("E_DB_AUTH");
    expect(a.html).not.toContain("nope"); // the password never shows
    const b = await loadPage(t.admin, `/p/database/i/${down}/database`);
    expect(b.html).toContain("E_DB_UNREACHABLE");
    const api = await t.admin.getJson(`/api/v1/database/i/${down}`);
    expect(api.body.data.errors[0]).toMatchObject({ section: "database", code: "E_DB_UNREACHABLE" });
  });
});
