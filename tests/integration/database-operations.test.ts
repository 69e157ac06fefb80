/**
 * Database maintenance through the routes, on a real PostgreSQL with acme_prod: VACUUM as a
 * cancellable operation, the permission errors PostgreSQL gives a non-owner, and dropping a
 * rollback copy (database and filestore folder) under the instance lock.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import databasePlugin from "../../plugins/database/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";

let t: TestApp;
let pg: TestPg;
let dir: string;
let operator: TestClient;
let viewer: TestClient;
let db: string;
let id: number;

beforeAll(async () => {
  pg = await getPg();
  dir = mkdtempSync(join(tmpdir(), "odoodeck-dbops-"));
  db = await fixtureDb("acme_prod");
  mkdirSync(join(dir, "data", "filestore", db), { recursive: true });
  const conf = join(dir, "acme.conf");
  writeFileSync(
    conf,
    `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\n` +
      `db_password = ${pg.odooPassword}\ndb_name = ${db}\ndata_dir = ${join(dir, "data")}\n`,
  );
  t = await startTestApp({ plugins: [databasePlugin] });
  id = await t.addLocalInstance({ name: "acme", confPath: conf });
  operator = await t.client("operator");
  viewer = await t.client("viewer");
}, 120_000);

afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v) return v;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}
const op = async (opId: string) => (await t.admin.getJson(`/api/v1/operations/${opId}`)).body.data;
const finished = (opId: string) =>
  until("the operation", async () => {
    const o = await op(opId);
    return o.status !== "running" && o;
  });
const sql = async (q: string, on = db) => (await pg.psql(on, q)).trim();

/** A psql session as the odoo role that holds a lock until it is killed. */
function holdLock(statement: string) {
  return Bun.spawn(
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
      `BEGIN; ${statement}; SELECT pg_sleep(120); COMMIT;`,
    ],
    { env: { ...process.env, PGPASSWORD: pg.odooPassword }, stdout: "pipe", stderr: "pipe" },
  );
}

describe("VACUUM as an operation", () => {
  test("the request answers at once; cancelling the operation cancels the VACUUM's backend", async () => {
    const holder = holdLock("LOCK TABLE res_partner IN SHARE UPDATE EXCLUSIVE MODE");
    try {
      await until("the lock", async () =>
        (await sql("SELECT count(*) FROM pg_locks WHERE relation = 'res_partner'::regclass AND granted")) !==
        "0"
          ? true
          : null,
      );
      // VACUUM needs that lock: it waits, and the request has already answered.
      const r = await operator.postJson(`/api/v1/database/i/${id}/vacuum`, { table: "res_partner" });
      expect(r.status).toBe(200);
      const opId = r.body.data.operationId;
      expect((await op(opId)).status).toBe("running");
      await until("VACUUM waiting on the lock", async () =>
        (await sql(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'odoodeck-vacuum-%' AND wait_event_type = 'Lock'",
        )) === "1"
          ? true
          : null,
      );
      expect((await viewer.postJson(`/api/v1/operations/${opId}/cancel`, {})).status).toBe(403);
      const c = await operator.postJson(`/api/v1/operations/${opId}/cancel`, {});
      expect(c.status).toBe(200);
      const done = await finished(opId);
      expect(done.status).toBe("cancelled");
      expect(done.error.code).toBe("E_CANCELLED");
      expect(done.log).toContain("pg_cancel_backend");
      // Its backend is gone; the session holding the lock was not touched.
      expect(
        await sql("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'odoodeck-vacuum-%'"),
      ).toBe("0");
      expect(holder.exitCode).toBeNull();
      const audit = await t.core.db
        .selectFrom("audit_log")
        .select(["action", "result"])
        .where("action", "in", ["database.vacuum", "operations.cancel"])
        .execute();
      expect(audit).toContainEqual({ action: "operations.cancel", result: "ok" });
      await until("the vacuum's audit entry", async () =>
        (
          await t.core.db
            .selectFrom("audit_log")
            .select("result")
            .where("action", "=", "database.vacuum")
            .execute()
        ).some((a) => a.result === "error"),
      );
    } finally {
      holder.kill();
      await holder.exited;
    }
  }, 60_000);

  test("a table the Odoo role does not own is refused at once with E_PERMISSION; no operation starts", async () => {
    await sql("CREATE TABLE superuser_owned (x int)");
    const before = (await t.admin.getJson("/api/v1/operations")).body.data.length;
    const r = await operator.postJson(`/api/v1/database/i/${id}/vacuum`, { table: "superuser_owned" });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("E_PERMISSION");
    expect(r.body.error.hint).toContain("owner");
    expect((await t.admin.getJson("/api/v1/operations")).body.data.length).toBe(before);
    await operator.page(`/p/database/i/${id}/database`);
    const page = await operator.post(`/p/database/i/${id}/database/vacuum`, { table: "superuser_owned" });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("The database user may not vacuum superuser_owned");
  });
});

describe("cancel a long query", () => {
  test("another role's query cannot be cancelled by the Odoo role: E_PERMISSION, the query goes on", async () => {
    const su = Bun.spawn(
      [
        "psql",
        "-X",
        "-h",
        pg.host,
        "-p",
        String(pg.port),
        "-U",
        pg.user,
        "-d",
        db,
        "-c",
        "SELECT pg_sleep(60) AS superuser_sleep",
      ],
      { env: { ...process.env, PGPASSWORD: pg.password }, stdout: "pipe", stderr: "pipe" },
    );
    try {
      const pid = Number(
        await until("the superuser's query", async () => {
          const v = await sql(
            "SELECT pid FROM pg_stat_activity WHERE query LIKE '%superuser_sleep%' AND pid <> pg_backend_pid()",
          );
          return v || null;
        }),
      );
      const r = await operator.postJson(`/api/v1/database/i/${id}/cancel`, { pid });
      expect(r.body.error.code).toBe("E_PERMISSION");
      expect(r.body.error.message).toContain(`pid ${pid}`);
      expect(su.exitCode).toBeNull();
      expect(await sql(`SELECT count(*) FROM pg_stat_activity WHERE pid = ${pid}`)).toBe("1");
    } finally {
      su.kill();
      await su.exited;
    }
  }, 30_000);
});

describe("drop a rollback copy", () => {
  test("refused with E_BUSY while an operation holds the instance, then drops the database and its filestore", async () => {
    const copy = `${db}__rollback_20240501101500`;
    await pg.createDb(copy, { owner: pg.odooUser });
    const folder = join(dir, "data", "filestore", copy);
    mkdirSync(join(folder, "ab"), { recursive: true });
    writeFileSync(join(folder, "ab", "abcdef"), "kept aside by a restore");

    let release!: () => void;
    const holding = t.core.operations.start("test", {
      kind: "test.hold",
      title: "holds the instance",
      instanceId: id,
      actor: "test",
      lock: true,
      steps: ["hold"],
      run: (o) => o.step("hold", () => new Promise<void>((r) => (release = r))),
    });
    await holding.started;
    try {
      const busy = await t.admin.postJson(`/api/v1/database/i/${id}/drop-rollback`, {
        name: copy,
        confirm: copy,
      });
      expect(busy.status).toBe(409);
      expect(busy.body.error.code).toBe("E_BUSY");
      expect(await sql(`SELECT count(*) FROM pg_database WHERE datname = '${copy}'`, "postgres")).toBe("1");
    } finally {
      release();
      await holding.done;
    }

    await t.admin.page(`/p/database/i/${id}/database`);
    const res = await t.admin.post(`/p/database/i/${id}/database/drop-rollback`, {
      name: copy,
      confirm: copy,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`Dropped ${copy}`);
    expect(await sql(`SELECT count(*) FROM pg_database WHERE datname = '${copy}'`, "postgres")).toBe("0");
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(join(dir, "data", "filestore", db))).toBe(true); // the live filestore stays
    expect(await sql("SELECT count(*) FROM res_partner")).toBe("101");
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["result", "details"])
      .where("action", "=", "database.drop-rollback")
      .execute();
    expect(audit.map((a) => a.result)).toEqual(["error", "ok"]);
    expect(String(audit[0].details)).toContain("E_BUSY");
  }, 60_000);

  test("names that only look like a rollback copy are refused", async () => {
    for (const name of [`${db}__rollback_`, `${db}__rollback_2024x`, `${db}__rollback_1/../../x`]) {
      const r = await t.admin.postJson(`/api/v1/database/i/${id}/drop-rollback`, { name, confirm: name });
      expect(r.body.error.code).toBe("E_VALIDATION");
    }
  });
});

describe("as operations (REST /api/v1/ops, the same executor as the CLI and MCP)", () => {
  test("database.vacuum waits for its operation; an unknown table is E_NOT_FOUND; a viewer is refused", async () => {
    const r = await operator.postJson("/api/v1/ops/database.vacuum?wait=true", {
      instance: "acme",
      table: "res_users",
    });
    expect(r.status).toBe(200);
    expect(r.body.data.table).toBe("res_users");
    expect(r.body.data.operation).toMatchObject({ status: "ok", kind: "database.vacuum" });
    expect(
      await sql("SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'res_users'"),
    ).toBe("t");
    const missing = await operator.postJson("/api/v1/ops/database.vacuum", {
      instance: id,
      table: "no_such",
    });
    expect(missing.body.ok).toBe(false);
    expect(
      (await viewer.postJson("/api/v1/ops/database.vacuum", { instance: id, table: "res_users" })).status,
    ).toBe(403);
  });

  test("database.cancel-query: a pid that runs nothing in this database is E_NOT_FOUND, and audited", async () => {
    const r = await operator.postJson("/api/v1/ops/database.cancel-query", { instance: id, pid: 999999 });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe("E_NOT_FOUND");
    const row = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "database.cancel-query")
      .executeTakeFirstOrThrow();
    expect(row.result).toBe("error");
    expect(JSON.parse(row.details!).surface).toBe("api");
  });
});
