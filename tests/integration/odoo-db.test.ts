import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Connection } from "../../server/connections/types.ts";
import { deriveInstanceSettings, parseOdooConf } from "../../server/odoo/conf.ts";
import { OdooDb, toolVersion } from "../../server/odoo/pg.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { localConnection } from "../helpers/local-connection.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";

let pg: TestPg;
let conn: Connection;
let prod: string;
let staging: string;
/** Connects the way a production odoo.conf says: TCP, the odoo role and its password. */
let odoo: OdooDb;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "no error";
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

beforeAll(async () => {
  pg = await getPg();
  conn = await localConnection();
  [prod, staging] = await Promise.all([fixtureDb("acme_prod"), fixtureDb("acme_staging")]);
  odoo = new OdooDb(conn, { host: pg.host, port: pg.port, user: pg.odooUser, password: pg.odooPassword });
}, 60_000);

describe("OdooDb on the fixture databases", () => {
  test("odooInfo reports the README facts of acme_prod and acme_staging", async () => {
    expect(await odoo.odooInfo(prod)).toEqual({
      version: "17.0.1.3",
      installedModules: 39,
      users: 8,
      partners: 101,
      storedAttachments: 228,
    });
    expect(await odoo.odooInfo(staging)).toMatchObject({
      version: "17.0.1.3",
      installedModules: 46,
      storedAttachments: 230,
    });
  });

  test("query returns rows as objects; 260 tables", async () => {
    const db = odoo.withDatabase(prod);
    expect(
      await db.scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      ),
    ).toBe("260");
    const rows = await db.query<{ name: string; state: string }>(
      "SELECT name, state FROM ir_module_module WHERE name IN ('crm', 'project') ORDER BY name",
    );
    expect(rows).toEqual([
      { name: "crm", state: "installed" },
      { name: "project", state: "uninstalled" },
    ]);
  });

  test("a parameter with quotes, semicolons and newlines stays a literal value", async () => {
    const db = odoo.withDatabase(prod);
    const evil = `x'; DROP TABLE res_partner; --\n"quoted", comma`;
    expect(
      await db.query("SELECT :'v' AS v, :'n'::int + 1 AS n, NULL AS nothing, '' AS empty", {
        v: evil,
        n: 41,
      }),
    ).toEqual([{ v: evil, n: "42", nothing: null, empty: "" }]);
    expect(
      await db.scalar("SELECT count(*) FROM res_partner WHERE name = :'name'", { name: "x' OR '1'='1" }),
    ).toBe("0");
    expect(await db.scalar("SELECT count(*) FROM res_partner")).toBe("101");
  });

  test("listDatabases tells Odoo databases from a plain createdb database", async () => {
    const plain = `plain_odoodb_${process.pid}`;
    await pg.createDb(plain, { owner: pg.odooUser });
    const dbs = await odoo.listDatabases();
    expect(dbs.find((d) => d.name === prod)).toMatchObject({
      isOdoo: true,
      odooVersion: "17.0.1.3",
      owner: "odoo",
    });
    expect(dbs.find((d) => d.name === prod)!.sizeBytes).toBeGreaterThan(20_000_000);
    expect(dbs.find((d) => d.name === plain)).toMatchObject({ isOdoo: false, odooVersion: null });
    expect(await codeOf(odoo.odooInfo(plain))).toBe("E_NOT_ODOO");
    await pg.dropDb(plain);
  });

  test("settings derived from a real odoo.conf reach the database", async () => {
    const conf = parseOdooConf(readFileSync(FIXTURES.prodConf));
    conf.options.db_host = pg.host;
    conf.options.db_port = String(pg.port);
    conf.options.db_user = pg.odooUser;
    conf.options.db_password = pg.odooPassword;
    const db = OdooDb.fromSettings(conn, deriveInstanceSettings(conf), prod);
    expect((await db.odooInfo()).partners).toBe(101);
    expect(Math.floor((await db.serverVersion()) / 10000)).toBe(15);
  });
});

describe("OdooDb errors a user can act on", () => {
  test("wrong password → E_DB_AUTH with a hint about db_password, and no password in the message", async () => {
    const bad = new OdooDb(conn, {
      host: pg.host,
      port: pg.port,
      user: pg.odooUser,
      password: "not-the-password",
    });
    const err = await bad.query("SELECT 1").catch((e) => e);
    expect(err.code).toBe("E_DB_AUTH");
    expect(err.hint).toContain("db_password");
    expect(JSON.stringify(err.toJSON())).not.toContain("not-the-password");
  });

  test("wrong port → E_DB_UNREACHABLE; missing database → E_NOT_FOUND; bad SQL → E_COMMAND_FAILED", async () => {
    const closed = new OdooDb(conn, { host: "127.0.0.1", port: 1, user: "odoo", password: "x" });
    expect(await codeOf(closed.query("SELECT 1"))).toBe("E_DB_UNREACHABLE");
    expect(await codeOf(odoo.withDatabase("no_such_db").query("SELECT 1"))).toBe("E_NOT_FOUND");
    const err = await odoo
      .withDatabase(prod)
      .query("SELECT * FROM no_such_table")
      .catch((e) => e);
    expect(err.code).toBe("E_COMMAND_FAILED");
    expect(err.message).toContain("no_such_table");
  });

  test("psql missing → E_COMMAND_FAILED with an install hint", async () => {
    const noPsql = new OdooDb(
      conn,
      { host: pg.host, port: pg.port, user: "odoo", password: "x" },
      { psql: "/nonexistent/psql" },
    );
    const err = await noPsql.query("SELECT 1").catch((e) => e);
    expect(err.code).toBe("E_COMMAND_FAILED");
    expect(err.hint).toContain("postgresql-client");
  });

  test("toolVersion reads the major version of pg_dump", async () => {
    expect(await toolVersion(conn, "pg_dump")).toMatchObject({ major: 15 });
  });
});
