import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import modulesPlugin from "../../plugins/modules/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { extractFilestore } from "../helpers/fixtures.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";

const STAGING_EXTRA = [
  "analytic",
  "portal_rating",
  "project",
  "project_sms",
  "project_todo",
  "rating",
  "uom",
];

let t: TestApp;
let pg: TestPg;
let dir: string;
let prodId: number;
let stagingId: number;
let operator: TestClient;
let viewer: TestClient;

function writeConf(
  name: string,
  db: string,
  opts: { addons: string[]; password?: string; port?: number },
): string {
  const data = join(dir, `data-${name}`);
  mkdirSync(data, { recursive: true });
  const path = join(dir, `${name}.conf`);
  writeFileSync(
    path,
    [
      "[options]",
      "db_host = 127.0.0.1",
      `db_port = ${opts.port ?? pg.port}`,
      `db_user = ${pg.odooUser}`,
      `db_password = ${opts.password ?? pg.odooPassword}`,
      `db_name = ${db}`,
      `data_dir = ${data}`,
      `addons_path = ${opts.addons.join(",")}`,
      "",
    ].join("\n"),
  );
  return path;
}

function manifest(path: string, text: string) {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, "__manifest__.py"), text);
}

/** An addons tree with a manifest for every installed module of acme_prod, with a few twists. */
async function buildAddons(root: string, db: string) {
  const rows = (
    await pg.psql(
      db,
      "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed' ORDER BY name",
    )
  )
    .trim()
    .split("\n")
    .map((l) => l.split("|"));
  rows.forEach(([name, version], i) => {
    if (name === "web_unsplash") return; // missing on disk
    // Half use Odoo's short form ("1.8"), half the full one ("17.0.1.8"): both mean the same.
    const v = name === "crm" ? "1.9" : i % 2 ? version.replace(/^17\.0\./, "") : version;
    const text =
      name === "mail_bot"
        ? "{\n  'name': 'OdooBot',\n  'version': '1.2'\n  'depends': ['mail'],\n}\n"
        : `# -*- coding: utf-8 -*-\n{\n    'name': '${name}',\n    'version': '${v}',\n    'author': 'Odoo S.A.',\n    'license': 'LGPL-3',\n}\n`;
    manifest(join(root, name), text);
  });
  mkdirSync(join(root, "crm", "models"), { recursive: true });
  writeFileSync(join(root, "crm", "models", "crm_lead.py"), "class Lead:\n    pass\n");
  mkdirSync(join(root, "README-not-a-module"), { recursive: true });
}

beforeAll(async () => {
  pg = await getPg();
  dir = mkdtempSync(join(tmpdir(), "odoodeck-modules-"));
  const [prod, staging] = await Promise.all([fixtureDb("acme_prod"), fixtureDb("acme_staging")]);
  const addons = join(dir, "addons");
  await buildAddons(addons, prod);
  manifest(
    join(dir, "custom", "acme_custom"),
    "{'name': 'ACME custom', 'version': '17.0.1.0.0', 'depends': ['crm']}",
  );
  await extractFilestore("acme_prod", join(dir, "data-prod", "filestore"));
  t = await startTestApp({ plugins: [modulesPlugin] });
  const addonsPaths = [addons, join(dir, "custom"), join(dir, "does-not-exist")];
  prodId = await t.addLocalInstance({
    name: "acme-prod",
    confPath: writeConf("prod", prod, { addons: addonsPaths }),
  });
  stagingId = await t.addLocalInstance({
    name: "acme-staging",
    confPath: writeConf("staging", staging, { addons: addonsPaths }),
  });
  operator = await t.client("operator");
  viewer = await t.client("viewer");
}, 120_000);

afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("modules page and API on acme_prod", () => {
  test("lists 39 installed modules with versions, flags the missing one loudly and the rest", async () => {
    const { res, html } = await t.admin.page(`/p/modules/i/${prodId}/modules`);
    expect(res.status).toBe(200);
    expect(html).toContain("<strong>39</strong> installed");
    expect(html).toMatch(
      /banner-missing[\s\S]*1 installed module is missing from every addons path: web_unsplash/,
    );
    expect(html).toContain("Addons path " + join(dir, "does-not-exist") + " does not exist");
    const table = html.slice(
      html.indexOf('id="modules"'),
      html.indexOf("</table>", html.indexOf('id="modules"')),
    );
    const rows = table.split("<tr>").filter((r) => r.includes(`/p/modules/i/${prodId}/modules/`));
    expect(rows.length).toBe(39);
    const crm = rows.find((r) => r.includes(">crm</a>"))!;
    expect(crm).toContain("17.0.1.8");
    expect(crm).toContain("17.0.1.9");
    expect(crm).toContain("needs upgrade");
    expect(rows.find((r) => r.includes(">mail_bot</a>"))).toContain("manifest unreadable");
  });

  test("the JSON API gives the same facts", async () => {
    const { status, body } = await t.admin.getJson(`/api/v1/modules/i/${prodId}`);
    expect(status).toBe(200);
    expect(body.data.summary).toEqual({
      installed: 39,
      needsUpgrade: ["crm"],
      changed: [],
      missing: ["web_unsplash"],
      unreadable: ["mail_bot"],
    });
    const mods = body.data.modules as any[];
    expect(mods.find((m) => m.name === "base")).toMatchObject({
      state: "installed",
      installedVersion: "17.0.1.3",
      diskVersion: "17.0.1.3",
      author: "Odoo S.A.",
      license: "LGPL-3",
      needsUpgrade: false,
    });
    expect(mods.find((m) => m.name === "crm").depends).toEqual([
      "base_setup",
      "calendar",
      "contacts",
      "digest",
      "mail",
      "phone_validation",
      "resource",
      "sales_team",
      "utm",
      "web_tour",
    ]);
    expect(mods.find((m) => m.name === "acme_custom")).toMatchObject({
      state: "not in database",
      diskVersion: "17.0.1.0.0",
    });
    expect(mods.find((m) => m.name === "mail_bot").manifestError).toBe(
      'manifest unreadable: expected "," or "}" (line 4)',
    );
  });

  test("a module page shows its dependencies and dependants as a tree", async () => {
    const { html } = await viewer.page(`/p/modules/i/${prodId}/modules/crm`);
    const depends = html.slice(html.indexOf('id="depends"'), html.indexOf('id="dependants"'));
    for (const d of ["base_setup", "sales_team", "web_tour"]) expect(depends).toContain(`>${d}</a>`);
    const dependants = html.slice(html.indexOf('id="dependants"'));
    for (const d of ["crm_iap_enrich", "crm_iap_mine", "crm_sms", "iap_crm"])
      expect(dependants).toContain(`>${d}</a>`);
  });
});

describe("compare two instances", () => {
  test("staging has exactly the 7 extra modules of the README (page)", async () => {
    const { res, html } = await t.admin.page(`/p/modules/i/${prodId}/compare?with=${stagingId}`);
    expect(res.status).toBe(200);
    const only = (id: string) => {
      const part = html.slice(html.indexOf(`id="${id}"`));
      return [...part.slice(0, part.indexOf("</table>")).matchAll(/<tr><td>([a-z_]+)<\/td>/g)].map(
        (m) => m[1],
      );
    };
    expect(html).toContain("Installed only in acme-staging (7)");
    expect(only("only-right")).toEqual(STAGING_EXTRA);
    expect(html).toContain("Installed only in acme-prod (0)");
  });

  test("the JSON API says the same", async () => {
    const { status, body } = await t.admin.getJson(
      `/api/v1/modules/compare?left=${prodId}&right=${stagingId}`,
    );
    expect(status).toBe(200);
    expect(body.data.onlyLeft).toEqual([]);
    expect(body.data.onlyRight.map((d: any) => d.name)).toEqual(STAGING_EXTRA);
    expect(body.data.onlyRight[0]).toMatchObject({
      name: "analytic",
      left: { state: "uninstalled" },
      right: { state: "installed" },
    });
  });
});

describe("checksums", () => {
  test("record as deployed, then an edited file shows as changed; a new .pyc does not", async () => {
    const rec = await operator.postJson(`/api/v1/modules/i/${stagingId}/record`, {});
    expect(rec.status).toBe(200);
    expect(rec.body.data.recorded).toBe(38); // 39 installed in the tree's modules minus web_unsplash (missing)
    const before = await t.admin.getJson(`/api/v1/modules/i/${stagingId}`);
    expect(before.body.data.summary.changed).toEqual([]);
    writeFileSync(join(dir, "addons", "crm", "models", "crm_lead.py"), "class Lead:\n    name = 'changed'\n");
    mkdirSync(join(dir, "addons", "base", "__pycache__"), { recursive: true });
    writeFileSync(join(dir, "addons", "base", "__pycache__", "x.cpython-311.pyc"), "bytecode");
    writeFileSync(join(dir, "addons", "base", "y.pyc"), "bytecode");
    const after = await t.admin.getJson(`/api/v1/modules/i/${stagingId}`);
    expect(after.body.data.summary.changed).toEqual(["crm"]);
    const { html } = await t.admin.page(`/p/modules/i/${stagingId}/modules?filter=attention`);
    expect(html).toContain("changed since last recorded");
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "modules.record-checksums")
      .execute();
    expect(audit.length).toBeGreaterThan(0);
  });

  test("a viewer may not record checksums", async () => {
    const r = await viewer.postJson(`/api/v1/modules/i/${stagingId}/record`, {});
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("E_FORBIDDEN");
  });
});
