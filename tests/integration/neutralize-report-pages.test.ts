/**
 * The neutralization report where a user looks for it: the restore (or copy) operation's page, the
 * restored instance's overview, the backups tab (databases a copy made), the report page, and the
 * JSON API — kept in the backup plugin's table, not only in the operation's log.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import { liveFixture, type RestoreEnv, restoreEnv } from "../../plugins/backup/tests/restore-test-helpers.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";

let t: TestApp;
let env: RestoreEnv;
let staging: number;
let stagingDb: string;
const copyDb = `nr_copy_${process.pid}`;

const decode = (s: string) =>
  s
    .replace(/<[^>]*>/g, "")
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();

/** The report table's rows as a user reads them: "<what was done> — <as Odoo | stricter than Odoo | warning>". */
function reportRows(html: string): string[] {
  const table = /<table id="neutralize-report">([\s\S]*?)<\/table>/.exec(html)?.[1];
  if (!table) return [];
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)]
    .map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => decode(c[1]!)))
    .filter((cells) => cells.length === 2)
    .map(([what, kind]) => `${what} — ${kind}`);
}

const summary = (html: string) =>
  decode(/<span class="neutralize-summary">([\s\S]*?)<\/span>/.exec(html)?.[1] ?? "");

async function waitOp(id: string) {
  for (;;) {
    const { body } = await t.admin.getJson(`/api/v1/operations/${id}`);
    if (body.data.status !== "running") return body.data;
    await Bun.sleep(200);
  }
}

beforeAll(async () => {
  env = await restoreEnv("nreport");
  t = await startTestApp({ plugins: [backupPlugin] });
  stagingDb = await liveFixture(env, "acme_staging");
  const confPath = join(env.dataDir, "staging.conf");
  const pg = env.pgInfo;
  writeFileSync(
    confPath,
    `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\n` +
      `db_name = ${stagingDb}\ndata_dir = ${env.dataDir}\n`,
  );
  staging = await t.addLocalInstance({ name: "staging", confPath, dbName: stagingDb });
  await t.admin.page("/"); // the CSRF token for the JSON posts
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe("neutralization report on the operation and the restored instance", () => {
  let opId: string;

  test("restoring production over staging: the operation page lists every line marked as Odoo / stricter", async () => {
    // A restore reads only uploaded files or backups: upload Odoo's zip first, as the page does.
    const up = await t.admin.request("POST", `/api/v1/backup/i/${staging}/restore/upload`, {
      body: Bun.file(FIXTURES.prodOdooBackupZip).stream(),
      headers: { Accept: "application/json", "Content-Type": "application/zip" },
    });
    const uploaded = ((await up.json()) as { data: { path: string } }).data.path;
    const r = await t.admin.postJson(`/api/v1/backup/i/${staging}/restore`, {
      source: uploaded,
      target: "instance",
    });
    expect(r.body.ok).toBe(true);
    opId = r.body.data.operationId;
    const op = await waitOp(opId);
    expect(op.status).toBe("ok");

    const rows = reportRows((await t.admin.page(`/operations/${opId}`)).html);
    expect(rows.length).toBe(op.result.neutralizeReport.length);
    expect(rows).toContain(
      "outgoing mail servers deactivated; one active mail server sends to the dummy invalid:1025 — as Odoo",
    );
    expect(rows).toContain("webhook server actions disabled — as Odoo");
    expect(rows).toContain(
      "SMTP/IMAP passwords and OAuth tokens of mail servers blanked (Odoo keeps them) — stricter than Odoo",
    );
    expect(rows).toContain(
      "every payment provider disabled, test-mode ones included (Odoo keeps test mode) — stricter than Odoo",
    );
  }, 180_000);

  test("the instance's overview says when and how it was neutralized and links to the full report", async () => {
    const { html } = await t.admin.page(`/instances/${staging}`);
    const lines = (await t.admin.getJson(`/api/v1/operations/${opId}`)).body.data.result.neutralizeReport as {
      kind: string;
    }[];
    const n = (k: string) => lines.filter((l) => l.kind === k).length;
    expect(n("as Odoo")).toBeGreaterThan(0);
    expect(n("stricter than Odoo")).toBeGreaterThan(0);
    const w = n("warning");
    expect(summary(html)).toMatch(
      new RegExp(
        `^Neutralized on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: ${n("as Odoo")} as Odoo, ${n("stricter than Odoo")} stricter, ${w} warnings? — full report$`,
      ),
    );
    const href = `/p/backup/i/${staging}/neutralization/${stagingDb}`;
    expect(html).toContain(`href="${href}"`);

    const report = (await t.admin.page(href)).html;
    expect(report).toContain(`Restored into staging&#39;s own database`);
    expect(report).toContain(`href="/operations/${opId}"`);
    expect(reportRows(report)).toContain("database.is_neutralized = true — as Odoo");
    expect(reportRows(report).length).toBe(lines.length);
  });

  test("JSON API: GET …/neutralization lists the database's report with its operation", async () => {
    const list = await t.admin.getJson(`/api/v1/backup/i/${staging}/neutralization`);
    expect(list.body.ok).toBe(true);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ dbName: stagingDb, target: "instance", operationId: opId });
    const one = await t.admin.getJson(`/api/v1/backup/i/${staging}/neutralization/${stagingDb}`);
    expect(one.body.data.lines).toContainEqual({
      kind: "stricter than Odoo",
      text: expect.stringContaining("payment provider"),
    });
    const none = await t.admin.getJson(`/api/v1/backup/i/${staging}/neutralization/no_such_db`);
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe("E_NOT_FOUND");
  });

  test("the instance may be named instead of numbered (route and operation answer alike)", async () => {
    const byName = await t.admin.getJson("/api/v1/backup/i/staging/neutralization");
    expect(byName.status).toBe(200);
    expect(byName.body.data.map((r: { dbName: string }) => r.dbName)).toEqual([stagingDb]);
    const op = await t.admin.postJson("/api/v1/ops/backup.neutralization", {
      instance: "staging",
      db: stagingDb,
    });
    expect(op.body.data.reports.map((r: { dbName: string }) => r.dbName)).toEqual([stagingDb]);
    const missing = await t.admin.getJson("/api/v1/backup/i/no-such-instance/neutralization");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("E_NOT_FOUND");
  });

  test("a copy into a new database is listed under that database on the backups tab, not as the instance's", async () => {
    const r = await t.admin.postJson(`/api/v1/backup/i/${staging}/copy`, { target: "new", dbName: copyDb });
    expect(r.body.ok).toBe(true);
    const op = await waitOp(r.body.data.operationId);
    expect(op.status).toBe("ok");
    expect(reportRows((await t.admin.page(`/operations/${op.id}`)).html)).toContain(
      "webhook server actions disabled — as Odoo",
    );

    const { html } = await t.admin.page(`/p/backup/i/${staging}/backups`);
    const card = decode(
      /<section class="card [^"]*" id="neutralized-databases">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? "",
    );
    expect(card).toContain(`${copyDb} (new database): Neutralized on`);
    expect(card).toContain(`${stagingDb} (this instance's database): Neutralized on`);
    expect(html).toContain(`href="/p/backup/i/${staging}/neutralization/${copyDb}"`);
    // the overview still shows the instance's own database's report only
    const overview = (await t.admin.page(`/instances/${staging}`)).html;
    expect(overview).toContain(`/neutralization/${stagingDb}"`);
    expect(overview).not.toContain(`/neutralization/${copyDb}"`);
    const api = await t.admin.getJson(`/api/v1/backup/i/${staging}/neutralization/${copyDb}`);
    expect(api.body.data).toMatchObject({ target: "new", operationId: op.id });
    await env.db(copyDb).query("SELECT 1"); // it exists
  }, 180_000);
});
