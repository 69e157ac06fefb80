import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { loadPage } from "../helpers/htmx.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";

let t: TestApp;
let pg: TestPg;
let dir: string;
let prod: string;
let localId: number;

function writeConf(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

beforeAll(async () => {
  [t, pg] = await Promise.all([startTestApp({ plugins: [] }), getPg()]);
  prod = await fixtureDb("acme_prod");
  dir = mkdtempSync(join(tmpdir(), "odoodeck-inst-"));
  await t.admin.page("/servers");
  const res = await t.admin.post("/servers/new", { name: "here", kind: "local", group: "Internal" });
  expect(res.status).toBe(303);
  localId = Number(/\/servers\/(\d+)/.exec(res.headers.get("Location")!)![1]);
}, 60_000);
afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

const goodConf = () =>
  [
    "[options]",
    `db_host = ${pg.host}`,
    `db_port = ${pg.port}`,
    `db_user = ${pg.odooUser}`,
    `db_password = ${pg.odooPassword}`,
    `db_name = ${prod}`,
    `data_dir = ${dir}/data`,
    `logfile = ${FIXTURES.log}`,
    "",
  ].join("\n");

describe("instances: add, overview, databases, removal", () => {
  test("a local server's connection test lists the tools found and the free disk", async () => {
    await t.admin.page(`/servers/${localId}`);
    const res = await t.admin.request("POST", `/servers/${localId}/test`, {
      headers: { "HX-Request": "true" },
    });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("Linux");
    expect(html).toMatch(/<code>pg_dump<\/code>.*?found.*?\/pg_dump.*?\d+\.\d+/s);
    expect(html).toMatch(/probe-disks[\s\S]*<code>\/<\/code>/);
  });

  test("discovery lists candidates and “Use” pre-fills the add form", async () => {
    const { res, html } = await t.admin.page(`/servers/${localId}/discover`);
    expect(res.status).toBe(200);
    expect(html).toContain("odoo.conf files on here");
    const q = new URLSearchParams({
      server: String(localId),
      confPath: "/etc/odoo/odoo.conf",
      service: "odoo",
    });
    const { html: form } = await t.admin.page(`/instances?${q}`);
    expect(form).toContain('name="confPath" type="text" value="/etc/odoo/odoo.conf"');
    expect(form).toContain('name="service" type="text" value="odoo"');
    expect(form).toMatch(new RegExp(`<option value="${localId}" selected="">here`));
  });

  test("the add form lists the cluster's Odoo databases for the conf; “Use” picks one", async () => {
    const staging = await fixtureDb("acme_staging");
    const confPath = writeConf("discovered.conf", goodConf());
    const q = new URLSearchParams({ server: String(localId), confPath });
    const { first, html } = await loadPage(t.admin, `/instances?${q}`);
    expect(first).toContain("Looking for the Odoo databases this odoo.conf reaches…");
    const names = [...html.matchAll(/<strong>([^<]+)<\/strong><\/td>/g)].map((m) => m[1]);
    expect(names).toContain(prod);
    expect(names).toContain(staging);
    expect(names).not.toContain("postgres"); // not an Odoo database
    const use = new RegExp(`href="([^"]+)">Use ${staging}<`).exec(html)?.[1].replace(/&amp;/g, "&");
    expect(use).toBeDefined();
    const { html: form } = await t.admin.page(use!);
    expect(form).toContain(`name="dbName" type="text" value="${staging}"`);
    expect(form).toContain(`name="confPath" type="text" value="${confPath}"`);
    // Reading any file as a conf is for admins only.
    const viewer = await t.client("operator");
    const denied = await viewer.request("GET", `/servers/${localId}/discover/databases?confPath=${confPath}`);
    expect(denied.status).toBe(403);
  });

  test("the overview of an instance shows the Odoo version and the database size", async () => {
    const confPath = writeConf("odoo.conf", goodConf());
    const res = await t.admin.post("/instances/new", {
      name: "acme-prod",
      serverId: String(localId),
      confPath,
      production: "on",
      group: "Clients",
      tags: "acme, eu",
    });
    expect(res.status).toBe(303);
    const { res: page, first, html } = await loadPage(t.admin, res.headers.get("Location")!);
    expect(page.status).toBe(200);
    // The page answers before the conf, the database and the log are read; htmx fetches them.
    expect(first).toContain("Reading odoo.conf and the database…");
    expect(first).not.toContain('id="db-size"');
    // Odoo's version from the log's start line, beside the base module's in the database.
    expect(html).toContain('<span id="odoo-version">17.0-20240709</span>');
    expect(html).toContain("(from its log)");
    expect(html).toContain('<span id="base-version">17.0.1.3</span>');
    const size = /<span id="db-size">([\d.]+) MB<\/span>/.exec(html);
    expect(Number(size?.[1])).toBeGreaterThan(25);
    expect(html).toContain("reachable");
    expect(html).not.toContain(pg.odooPassword); // the conf's db_password is never shown
    // the sidebar groups it
    expect(html).toContain("<h3>Clients</h3>");
  });

  test("database discovery lists the fixture database as Odoo 17 with its size", async () => {
    const id = (await t.core.registry.instanceRows()).find((r) => r.name === "acme-prod")!.id;
    const res = await t.admin.request("GET", `/instances/${id}/databases`, {
      headers: { "HX-Request": "true" },
    });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain(`<strong>${prod}</strong>`);
    expect(html).toMatch(new RegExp(`${prod}</strong>.*?MB.*?17\\.0\\.1\\.3`, "s"));
    const api = await t.admin.getJson(`/api/v1/instances/${id}/databases`);
    const mine = api.body.data.find((d: any) => d.name === prod);
    expect(mine).toMatchObject({ isOdoo: true, odooVersion: "17.0.1.3" });
    expect(api.body.data.find((d: any) => d.name === "postgres")?.isOdoo).toBe(false);
  });

  test("a missing conf file and a conf without [options] show a clear error; the page still renders", async () => {
    for (const [name, path, code] of [
      ["ghost", join(dir, "nope.conf"), "E_FILE_NOT_FOUND"],
      ["no-options", writeConf("bad.conf", "db_name = x\n"), "E_CONF_INVALID"],
    ]) {
      const res = await t.admin.post("/instances/new", { name, serverId: String(localId), confPath: path });
      expect(res.status).toBe(303);
      const { res: page, html } = await loadPage(t.admin, res.headers.get("Location")!);
      expect(page.status).toBe(200);
      expect(html).toContain(code);
      expect(html).toContain("Recent operations");
      if (code === "E_CONF_INVALID") expect(html).toContain("no [options] section");
    }
  });

  test("removing a production instance needs its name typed back", async () => {
    const row = (await t.core.registry.instanceRows()).find((r) => r.name === "acme-prod")!;
    const removed: number[] = [];
    const off = t.core.bus.on("instance.removed", (e) => void removed.push(e.instanceId));
    await t.admin.page(`/instances/${row.id}`);
    let res = await t.admin.post(`/instances/${row.id}/delete`, { confirm: "acme" });
    expect(res.status).toBe(400);
    // The one production rule of every operation (instances.remove is destructive).
    expect(await res.text()).toContain("acme-prod is marked production: type &quot;acme-prod&quot; to confirm");
    const api = await t.admin.request("DELETE", `/api/v1/instances/${row.id}`, {
      headers: { Accept: "application/json" },
    });
    expect((await api.json()).error.code).toBe("E_CONFIRMATION");
    res = await t.admin.post(`/instances/${row.id}/delete`, { confirm: "acme-prod" });
    expect(res.status).toBe(303);
    expect(removed).toEqual([row.id]);
    off();
    expect(await t.core.registry.instanceRows().then((r) => r.some((x) => x.id === row.id))).toBe(false);
  });

  test("per-instance grants let a viewerless user see one instance only", async () => {
    const confPath = writeConf("grant.conf", goodConf());
    const { body } = await t.admin.postJson("/api/v1/instances", {
      name: "granted",
      serverId: localId,
      confPath,
    });
    expect(body.ok).toBe(true);
    const other = await t.admin.postJson("/api/v1/instances", {
      name: "hidden",
      serverId: localId,
      confPath,
    });
    const u = await t.client("none", "guest1");
    // An instance one may not see answers as a missing one would (nobody probes ids for names).
    expect((await u.get(`/instances/${body.data.id}`)).status).toBe(404);
    await t.admin.page(`/instances/${body.data.id}`);
    const res = await t.admin.post(`/instances/${body.data.id}/grants`, {
      username: "guest1",
      role: "viewer",
    });
    expect(await res.text()).toContain("Access of guest1 updated.");
    expect((await u.get(`/instances/${body.data.id}`)).status).toBe(200);
    expect((await u.get(`/instances/${other.body.data.id}`)).status).toBe(404);
    const list = await u.getJson("/api/v1/instances");
    expect(list.body.data.map((i: any) => i.name)).toEqual(["granted"]);
  });

  test("an id that cannot be one is the missing-record answer, never NaN in a message", async () => {
    for (const [path, text] of [
      // Instance routes take an id or a name, like every surface: "abc" is a name nobody has.
      ["/instances/abc", "No instance named abc"],
      ["/instances/1.5/status", "No instance named 1.5"],
      ["/instances/999999", "No instance with id 999999"],
      ["/servers/abc", "No server with id abc"],
    ]) {
      const r = await t.admin.getJson(path);
      expect({ path, status: r.status, code: r.body.error?.code }).toEqual({
        path,
        status: 404,
        code: "E_NOT_FOUND",
      });
      expect(r.body.error.message).toBe(text);
    }
    const api = await t.admin.getJson("/api/v1/servers/0");
    expect([api.status, api.body.error.message]).toEqual([404, "No server with id 0"]);
  });
});
