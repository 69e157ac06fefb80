import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import databasePlugin from "../../plugins/database/index.ts";
import { loadPage } from "../helpers/htmx.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { extractFilestore, type FixtureDbName } from "../helpers/fixtures.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";

let t: TestApp;
let pg: TestPg;
let dir: string;
let viewer: TestClient;

function writeConf(name: string, db: string, opts: { password?: string; port?: number } = {}): string {
  const path = join(dir, `${name}.conf`);
  writeFileSync(
    path,
    `[options]\ndb_host = 127.0.0.1\ndb_port = ${opts.port ?? pg.port}\ndb_user = ${pg.odooUser}\n` +
      `db_password = ${opts.password ?? pg.odooPassword}\ndb_name = ${db}\ndata_dir = ${join(dir, "data")}\n`,
  );
  return path;
}

/** A fresh copy of a fixture database with its filestore at <data_dir>/filestore/<db>, registered as an instance. */
async function instance(fixture: FixtureDbName, name: string, production = false) {
  const db = await fixtureDb(fixture);
  const tmp = join(dir, `x-${db}`);
  await extractFilestore(fixture, tmp);
  mkdirSync(join(dir, "data", "filestore"), { recursive: true });
  renameSync(join(tmp, fixture), join(dir, "data", "filestore", db));
  const id = await t.addLocalInstance({ name, confPath: writeConf(name, db), dbName: db, production });
  return { id, db, filestore: join(dir, "data", "filestore", db) };
}

const report = async (id: number) => (await t.admin.getJson(`/api/v1/database/i/${id}`)).body.data;

let prod: { id: number; db: string; filestore: string };
let staging: { id: number; db: string; filestore: string };

beforeAll(async () => {
  pg = await getPg();
  dir = mkdtempSync(join(tmpdir(), "odoodeck-database-"));
  t = await startTestApp({ plugins: [databasePlugin] });
  [prod, staging] = await Promise.all([
    instance("acme_prod", "acme-prod", true),
    instance("acme_staging", "acme-staging"),
  ]);
  viewer = await t.client("viewer");
}, 120_000);

afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("overview on the fixtures", () => {
  test("acme_prod: versions, size, filestore and attachments as the README says", async () => {
    const r = await report(prod.id);
    expect(r.errors).toEqual([]);
    expect(r.overview.postgresVersion).toMatch(/^15\./);
    expect(r.odooVersion).toBe("17.0.1.3");
    // The README's 34,151,783 bytes is a restore; a template copy on this cluster differs by ~10%.
    expect(Math.abs(r.overview.sizeBytes - 34_151_783) / 34_151_783).toBeLessThan(0.15);
    const actual = Number(await pg.psql(prod.db, "SELECT pg_database_size(current_database())"));
    expect(Math.abs(r.overview.sizeBytes - actual) / actual).toBeLessThan(0.01);
    expect(r.overview.largestTables.length).toBe(10);
    expect(r.overview.largestTables[0].bytes).toBeGreaterThanOrEqual(r.overview.largestTables[1].bytes);
    expect(r.filestore).toMatchObject({
      exists: true,
      fileCount: 91,
      sizeBytes: 1_230_318,
      attachmentsInFilestore: 228,
      orphanCount: 0,
      missingCount: 0,
    });
    expect(r.health.activeCrons).toBe(15);
    expect(r.health.mailQueue).toEqual({ exception: 8 });
  });

  test("the page shows the same, with staging's own figures", async () => {
    const { res, html } = await loadPage(viewer, `/p/database/i/${staging.id}/database`);
    expect(res.status).toBe(200);
    expect(html).toContain('<dd id="fs-files">93</dd>');
    expect(html).toContain('<dd id="fs-att-store">230</dd>');
    expect(html).toContain("<strong>16</strong> active crons");
    expect(html).toContain("8 exception");
    expect(html).toContain("17.0.1.3");
    expect(html).toContain('id="largest-tables"');
    expect(html).not.toContain("flash-error");
  });

  test("the tab answers with placeholders at once; each then loads its real figures", async () => {
    const { first, html, lazy } = await loadPage(viewer, `/p/database/i/${staging.id}/database`);
    // What the first answer carries: no figure yet, one placeholder per card.
    expect(first).toContain("Loading database size and largest tables…");
    expect(first).toContain("Loading filestore…");
    expect(first).not.toContain('id="db-facts"');
    expect(first).not.toContain('id="fs-files"');
    expect(lazy).toEqual(
      ["overview", "filestore", "crons", "activity", "tables", "rollback"].map(
        (p) => `/p/database/i/${staging.id}/database/part/${p}`,
      ),
    );
    // What the user ends up seeing: staging's size (about 38 MB) and its 93 files.
    const size = Number(/<dd data-bytes="(\d+)">/.exec(html)?.[1]);
    expect(size).toBeGreaterThan(30_000_000);
    expect(size).toBeLessThan(50_000_000);
    expect(html).toContain('<dd id="fs-files">93</dd>');
    expect(html).not.toContain("Loading");
    const bad = await viewer.request("GET", `/p/database/i/${staging.id}/database/part/nope`);
    expect(bad.status).toBe(404);
  });

  test("orphan and missing files are found", async () => {
    const orphan = `ab/${"f".repeat(40)}`;
    mkdirSync(join(staging.filestore, "ab"), { recursive: true });
    writeFileSync(join(staging.filestore, orphan), "nobody references me");
    const sub = readdirSync(staging.filestore).find((d) => d !== "ab")!;
    const gone = `${sub}/${readdirSync(join(staging.filestore, sub))[0]}`;
    unlinkSync(join(staging.filestore, gone));
    const r = await report(staging.id);
    expect(r.filestore).toMatchObject({
      fileCount: 93,
      orphanCount: 1,
      orphans: [orphan],
      missingCount: 1,
      missing: [gone],
    });
  });
});

describe("Odoo health", () => {
  test("overdue and failing crons, logged errors", async () => {
    await pg.psql(
      prod.db,
      `UPDATE ir_cron SET active = true, nextcall = (now() AT TIME ZONE 'UTC') - interval '2 hours' WHERE id = (SELECT min(id) FROM ir_cron WHERE active);
       UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 day' WHERE id = (SELECT max(id) FROM ir_cron WHERE active);
       INSERT INTO ir_logging (create_date, name, type, dbname, level, message, path, func, line)
       SELECT now() AT TIME ZONE 'UTC', 'odoo.addons.base.models.ir_cron', 'server', current_database(), 'ERROR',
              'Call from cron ' || cron_name || ' for server action failed', 'ir_cron.py', '_callback', '1'
         FROM ir_cron WHERE id = (SELECT max(id) FROM ir_cron WHERE active);`,
    );
    const first = (
      await pg.psql(
        prod.db,
        "SELECT cron_name FROM ir_cron WHERE id = (SELECT min(id) FROM ir_cron WHERE active)",
      )
    ).trim();
    const last = (
      await pg.psql(
        prod.db,
        "SELECT cron_name FROM ir_cron WHERE id = (SELECT max(id) FROM ir_cron WHERE active)",
      )
    ).trim();
    const r = await report(prod.id);
    const byName = new Map(r.health.crons.map((c: any) => [c.name, c]));
    expect(byName.get(first)).toMatchObject({ overdue: true, active: true });
    expect(byName.get(last)).toMatchObject({ overdue: false, failures: 1 });
    expect(r.health.failingCrons).toBe(1);
    expect(r.health.logErrorCount).toBe(1);
    const { html } = await loadPage(t.admin, `/p/database/i/${prod.id}/database`);
    expect(html).toContain("1 failure(s)");
    expect(html).toContain(`Call from cron ${last} for server action failed`);
  });
});
