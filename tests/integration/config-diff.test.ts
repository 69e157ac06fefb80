import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import configDiff from "../../plugins/config-diff/index.ts";
import type { PluginContext } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { loadPage } from "../helpers/htmx.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";
import { wholeStore } from "../helpers/store.ts";

let t: TestApp;
let pg: TestPg;
let dir: string;
let prodId: number;
let stagingId: number;
let stagingDb: string;
const SECRETS = ["pk_live_ABC123", "$pbkdf2-sha512$600000$XXc25pTzvnuv9X6ckuuhVA", "staging-master"];

/** A fixture conf with its db_* keys pointed at the test cluster; everything else as shipped. */
function pointAtCluster(src: string, db: string, dest: string): string {
  const lines = readFileSync(src, "utf8").split("\n");
  const set: Record<string, string> = {
    db_host: pg.host,
    db_port: String(pg.port),
    db_user: pg.odooUser,
    db_password: pg.odooPassword,
    db_name: db,
  };
  const out = lines.map((l) => {
    const m = /^(db_host|db_port|db_user|db_password|db_name)\s*=/.exec(l);
    return m ? `${m[1]} = ${set[m[1]]}` : l;
  });
  writeFileSync(dest, out.join("\n"));
  return dest;
}

const noSecretIn = (text: string) => {
  for (const s of [...SECRETS, pg.odooPassword]) expect(text).not.toContain(s);
};

/** data-status/data-key pairs of a diff table, as a map key → status. */
function statuses(html: string, tableId: string): Record<string, string> {
  const start = html.indexOf(`id="${tableId}"`);
  const table = html.slice(start, html.indexOf("</table>", start));
  return Object.fromEntries(
    [...table.matchAll(/data-status="([^"]+)" data-key="([^"]+)"/g)].map((m) => [m[2], m[1]]),
  );
}

beforeAll(async () => {
  pg = await getPg();
  const [prodDb, sDb] = await Promise.all([fixtureDb("acme_prod"), fixtureDb("acme_staging")]);
  stagingDb = sDb;
  dir = mkdtempSync(join(tmpdir(), "config-diff-"));
  t = await startTestApp({ plugins: [configDiff] });
  prodId = await t.addLocalInstance({
    name: "acme-prod",
    confPath: pointAtCluster(FIXTURES.prodConf, prodDb, join(dir, "prod.conf")),
    production: true,
  });
  stagingId = await t.addLocalInstance({
    name: "acme-staging",
    confPath: pointAtCluster(FIXTURES.stagingConf, stagingDb, join(dir, "staging.conf")),
  });
}, 60_000);
afterAll(() => t.stop());

describe("Config tab", () => {
  test("production: table with defaults and explanations, secrets masked, parameters listed", async () => {
    const { res, html } = await t.admin.page(`/p/config-diff/i/${prodId}/config`);
    expect(res.status).toBe(200);
    expect(html).toContain("Trust X-Forwarded-* headers");
    expect(html).toContain("acme.feature_flag");
    expect(html).toContain("https://erp.acme-corp.example");
    expect(html).toContain('id="v-conf-db_password"');
    expect(html).toContain("••••••••");
    expect(html).toContain("/opt/odoo/oca/web");
    noSecretIn(html);
    // The admin may reveal one secret; the button is there.
    expect(html).toContain("/config/reveal");
  });

  test("staging: ignored [queue_job] section and findings with reasons", async () => {
    const { html } = await t.admin.page(`/p/config-diff/i/${stagingId}/config`);
    expect(html).toContain("Section [queue_job] (1 key) is ignored");
    expect(html).toContain("admin_passwd is stored in plain text");
    // web.base.url of staging is public: list_db = True there is a risk.
    expect(html).toContain('data-finding="list_db"');
    expect(html).toContain('data-finding="without_demo_off"');
    noSecretIn(html);
  });

  test("the JSON answer is masked too", async () => {
    const res = await t.admin.get(`/api/v1/config-diff/i/${prodId}`);
    const text = await res.text();
    expect(res.status).toBe(200);
    noSecretIn(text);
    const body = JSON.parse(text);
    const key = body.data.params.find((p: any) => p.key === "acme.payment_provider_key");
    expect(key).toEqual({ key: "acme.payment_provider_key", value: "••••••••", secret: true });
  });

  test("reveal needs admin and is audited", async () => {
    const viewer = await t.client("viewer");
    const { html } = await viewer.page(`/p/config-diff/i/${prodId}/config`);
    expect(html).not.toContain("/config/reveal");
    const refused = await viewer.post(`/p/config-diff/i/${prodId}/config/reveal`, {
      scope: "params",
      key: "acme.payment_provider_key",
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain("pk_live_ABC123");
    // The page runs config-diff.reveal: REST /ops gives the viewer the same refusal.
    const viaOps = await viewer.postJson("/api/v1/ops/config-diff.reveal", {
      instance: prodId,
      scope: "params",
      key: "acme.payment_provider_key",
    });
    expect(viaOps.status).toBe(403);
    expect(viaOps.body.error.code).toBe("E_FORBIDDEN");

    const res = await t.admin.post(`/p/config-diff/i/${prodId}/config/reveal`, {
      scope: "params",
      key: "acme.payment_provider_key",
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("pk_live_ABC123");
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "config-diff.reveal")
      .where("result", "=", "ok")
      .execute();
    expect(audit.map((a) => a.target)).toEqual(["params:acme.payment_provider_key"]);
    expect(JSON.stringify(audit)).not.toContain("pk_live_ABC123");
    expect(audit.map((a) => JSON.parse(String(a.details)).surface)).toEqual(["page"]);
    const notSecret = await t.admin.postJson(`/api/v1/config-diff/i/${prodId}/reveal`, {
      scope: "conf",
      key: "workers",
    });
    expect(notSecret.body.error.code).toBe("E_VALIDATION");
  });
});

describe("Findings from the server's facts", () => {
  test("limit_memory_hard above MemTotal (read through the connection) and dbfilter with several databases", async () => {
    const memTotal = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]) * 1024;
    const path = join(dir, "risky.conf");
    writeFileSync(
      path,
      `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\nworkers = 0\nlimit_memory_hard = ${memTotal * 2}\n`,
    );
    const id = await t.addLocalInstance({
      name: "risky",
      confPath: path,
      dbName: stagingDb,
      production: true,
    });
    const { body } = await t.admin.getJson(`/api/v1/config-diff/i/${id}`);
    const f = Object.fromEntries(body.data.findings.map((x: any) => [x.id, x]));
    const gib = (n: number) => (n / 1024 ** 3).toFixed(1);
    expect(f.limit_memory_hard_above_ram.message).toBe(
      `limit_memory_hard (${gib(memTotal * 2)} GiB) is above the server's RAM (${gib(memTotal)} GiB)`,
    );
    // The odoo role owns the two fixture copies (and more): Odoo would list them all.
    expect(f.dbfilter_missing.message).toMatch(/^dbfilter is not set and \d+ databases are visible to odoo$/);
    expect(f.workers_zero.severity).toBe("medium");
    expect(f.admin_passwd_default.severity).toBe("high");
    expect(JSON.stringify(body)).not.toContain(pg.odooPassword);
  });
});

describe("One source for addons paths", () => {
  test("an addons_path entry the server lacks is a Config finding, worded as the Modules tab words it", async () => {
    const path = join(dir, "addons.conf");
    mkdirSync(join(dir, "addons-here"), { recursive: true });
    writeFileSync(
      path,
      `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\naddons_path = ${join(dir, "addons-here")},/nowhere/addons\n`,
    );
    const id = await t.addLocalInstance({ name: "addons", confPath: path, dbName: stagingDb });
    const { body } = await t.admin.getJson(`/api/v1/config-diff/i/${id}`);
    const missing = body.data.findings.filter((x: any) => x.key === "addons_path");
    expect(missing).toEqual([
      {
        id: "addons_path_missing:/nowhere/addons",
        severity: "high",
        key: "addons_path",
        message: "Addons path /nowhere/addons does not exist",
        reason: "Fix addons_path in odoo.conf: Odoo will not find the modules it lists",
      },
    ]);
    const { html } = await t.admin.page(`/p/config-diff/i/${id}/config`);
    expect(html).toContain("Findings (");
    expect(html).not.toContain("Findings (0)");
    expect(html).toContain("Addons path /nowhere/addons does not exist");
  });
});

describe("Diff of two instances", () => {
  test("global page with two selects compares conf, addons paths and parameters", async () => {
    const { res, html } = await t.admin.page(`/p/config-diff/?a=${prodId}&b=${stagingId}`);
    expect(res.status).toBe(200);
    expect(html).toContain('<select name="a">');
    const params = statuses(html, "params-diff");
    expect(params["web.base.url"]).toBe("changed");
    expect(params["acme.feature_flag"]).toBe("changed");
    expect(params["acme.staging_only"]).toBe("only-right");
    expect(params["analytic.project_plan"]).toBe("only-right");
    expect(params["acme.payment_provider_key"]).toBe("only-left");
    expect(params["database.uuid"]).toBe("changed");
    const conf = statuses(html, "conf-diff");
    expect(conf.workers).toBe("changed");
    expect(conf.proxy_mode).toBe("only-left");
    expect(html).toMatch(/data-status="only-left">[\s\S]{0,80}only left/);
    noSecretIn(html);
  });

  test("the JSON diff marks expected differences and masks secrets", async () => {
    const res = await t.admin.get(`/api/v1/config-diff/diff?a=${prodId}&b=${stagingId}`);
    const text = await res.text();
    noSecretIn(text);
    const d = JSON.parse(text).data;
    const p = Object.fromEntries(d.params.map((e: any) => [e.key, e]));
    expect(p["database.uuid"]).toMatchObject({ status: "changed", expected: true });
    expect(p["database.secret"]).toMatchObject({
      status: "changed",
      expected: true,
      secret: true,
      left: "••••••••",
    });
    expect(p["web.base.url"]).toMatchObject({ expected: true, left: "https://erp.acme-corp.example" });
    expect(p["acme.feature_flag"]).toMatchObject({ expected: false, left: "on", right: "off" });
    expect(p["acme.payment_provider_key"]).toMatchObject({
      status: "only-left",
      left: "••••••••",
      right: null,
    });
    expect(d.addons).toEqual([
      { path: "/opt/odoo/odoo17/odoo/addons", status: "both", leftIndex: 0, rightIndex: 0 },
      { path: "/opt/odoo/custom-addons", status: "both", leftIndex: 1, rightIndex: 1 },
      { path: "/opt/odoo/oca/web", status: "only-left", leftIndex: 2, rightIndex: null },
    ]);
  });
});

describe("Sections and duplicate keys as Odoo reads them (issue 15.6)", () => {
  test("[queue_job] is shown on the Config tab, in its JSON and in the diff, not dropped", async () => {
    const { html } = await t.admin.page(`/p/config-diff/i/${stagingId}/config`);
    expect(html).toContain('id="section-queue_job"');
    expect(html).toMatch(/id="v-section-queue_job-channels">[\s\S]{0,80}root:2/);
    const json = (await t.admin.getJson(`/api/v1/config-diff/i/${stagingId}`)).body.data;
    expect(json.sections).toEqual([
      { name: "queue_job", values: [{ key: "channels", value: "root:2", secret: false }] },
    ]);
    const diff = (await t.admin.getJson(`/api/v1/config-diff/diff?a=${prodId}&b=${stagingId}`)).body.data;
    expect(diff.conf.find((e: any) => e.key === "[queue_job] channels")).toMatchObject({
      status: "only-right",
      left: null,
      right: "root:2",
    });
  });

  test("a key set twice (in another case) is an error on the Config tab and the instance page", async () => {
    const conf = join(dir, "duplicate-keys.conf");
    writeFileSync(
      conf,
      `${readFileSync(FIXTURES.stagingConf, "utf8").replace("workers=0\n", "workers=0\nWorkers=2\n")}`,
    );
    const id = await t.addLocalInstance({ name: "acme-duplicate", confPath: conf });
    const { html } = await t.admin.page(`/p/config-diff/i/${id}/config`);
    const notices = html.slice(
      html.indexOf('id="notices"'),
      html.indexOf("</ul>", html.indexOf('id="notices"')),
    );
    expect(notices).toMatch(/>error<\/span> line 13: &quot;workers&quot; is set twice in \[options\]/);
    expect(notices).toContain("Odoo refuses to start");
    const overview = (await loadPage(t.admin, `/instances/${id}`)).html; // the status card loads after the page
    expect(overview).toMatch(
      /class="flash flash-error"[^>]*><strong>odoo.conf: line 13: &quot;workers&quot; is set twice/,
    );
    noSecretIn(html + overview);
  });
});

describe("History and drift", () => {
  test("a change in the conf and in the database is recorded, announced and shown; secrets only as digests", async () => {
    const events: any[] = [];
    const off = t.core.bus.on("config.changed", (e) => {
      events.push(e);
    });
    await t.admin.page(`/p/config-diff/i/${stagingId}/config`); // baseline
    const confPath = join(dir, "staging.conf");
    writeFileSync(
      confPath,
      readFileSync(confPath, "utf8")
        .replace("workers=0", "workers=2")
        .replace("admin_passwd=staging-master", "admin_passwd=staging-master-2"),
    );
    await pg.psql(
      stagingDb,
      "UPDATE ir_config_parameter SET value = 'maybe' WHERE key = 'acme.feature_flag'",
    );
    const run = await t.core.scheduler.run(null, "manual", {
      job: "config-diff.snapshot",
      instanceId: stagingId,
    });
    expect(run.status).toBe("ok");
    expect(run.summary).toBe("3 change(s) recorded");
    off();
    expect(events).toHaveLength(1);
    expect(events[0].changes).toEqual([
      { scope: "conf", key: "admin_passwd", status: "changed" },
      { scope: "conf", key: "workers", status: "changed" },
      { scope: "params", key: "acme.feature_flag", status: "changed" },
    ]);

    const overview = await t.admin.page(`/instances/${stagingId}`);
    expect(overview.html).toMatch(/Config last changed <time[^>]*>[^<]*ago<\/time>, checked/);

    const { html } = await t.admin.page(`/p/config-diff/i/${stagingId}/config/history`);
    expect(html).toContain('data-change="conf:workers"');
    expect(html).toContain('data-change="params:acme.feature_flag"');
    expect(html).toMatch(
      /acme\.feature_flag<\/code> changed: <code class="mono">off<\/code> → <code class="mono">maybe<\/code>/,
    );
    expect(html).toContain('data-change="conf:admin_passwd"');
    expect(html).not.toContain("staging-master");

    const rows = await wholeStore(t.core.db).selectFrom("config_diff_snapshots").select("data").execute();
    const stored = JSON.stringify(rows);
    for (const s of [...SECRETS, "staging-master-2", pg.odooPassword]) expect(stored).not.toContain(s);
    expect(stored).toContain("sha256:");
  });
});

describe("CLI", () => {
  const pluginCtx = () => t.core.host.records.find((r) => r.id === "config-diff")!.ctx as PluginContext;
  const cli = (name: string) => configDiff.cli!.find((c) => c.name === name)!;

  test("config diff <a> <b> --json prints the masked comparison", async () => {
    const log = spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await cli("config diff").run(["acme-prod", "acme-staging", "--json"], pluginCtx())).toBe(0);
      const out = String(log.mock.calls[0][0]);
      noSecretIn(out);
      const d = JSON.parse(out);
      expect(d.params.find((e: any) => e.key === "acme.staging_only").status).toBe("only-right");
    } finally {
      log.mockRestore();
    }
  });

  test("config show <instance> prints a table with findings; unknown instances get a clear error", async () => {
    const log = spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await cli("config show").run([String(stagingId)], pluginCtx())).toBe(0);
      const out = String(log.mock.calls[0][0]);
      expect(out).toContain("KEY");
      expect(out).toMatch(/list_db\s+True\s+True/);
      expect(out).toContain("[high] admin_passwd is stored in plain text");
      noSecretIn(out);
    } finally {
      log.mockRestore();
    }
    await expect(cli("config show").run(["nope"], pluginCtx())).rejects.toMatchObject({
      code: "E_NOT_FOUND",
    });
  });
});
