/**
 * "Back up first" and one-click rollback, end to end: the real backup plugin takes a full backup
 * of acme_prod as a child of the upgrade's operation, a stand-in odoo-bin (Odoo is not installed
 * here) really damages the database through the conf it is given and fails, and the rollback
 * restores the backup over the instance with the safe swap.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import { settings as backupSettings } from "../../plugins/backup/settings.ts";
import modulesPlugin from "../../plugins/modules/index.ts";
import { modulesSettings } from "../../plugins/modules/settings.ts";
import { writeSettings } from "../../server/plugin-host/settings.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { extractFilestore } from "../helpers/fixtures.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";

let t: TestApp;
let pg: TestPg;
let dir: string;
let operator: TestClient;
let viewer: TestClient;
let dev: { id: number; db: string };
let live: { id: number; db: string };

/** A fresh acme_prod with its filestore under its own data_dir, and an addons tree. */
async function addInstance(name: string, production = false) {
  const db = await fixtureDb("acme_prod");
  const data = join(dir, `data-${name}`);
  mkdirSync(join(data, "filestore"), { recursive: true });
  renameSync(await extractFilestore("acme_prod", join(dir, `tmp-${name}`)), join(data, "filestore", db));
  const confPath = join(dir, `${name}.conf`);
  writeFileSync(
    confPath,
    `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\n` +
      `db_password = ${pg.odooPassword}\ndb_name = ${db}\ndata_dir = ${data}\naddons_path = ${join(dir, "addons")}\n`,
  );
  return { id: await t.addLocalInstance({ name, confPath, dbName: db, production }), db };
}

/**
 * A real executable standing in for odoo-bin. It touches `called` when it runs; with `damage` it
 * waits for the `gate` file, then connects the way Odoo does (from the conf given with -c, to the
 * database given with -d), breaks things and exits 1.
 */
function odooBin(name: string, mode: "ok" | "fail" | "damage"): string {
  const path = join(dir, name);
  const damage = `
while [ ! -e "${join(dir, "gate")}" ]; do sleep 0.05; done
val() { sed -n "s/^$1 *= *//p" "$conf" | head -n 1; }
PGPASSWORD="$(val db_password)" psql -X -q -v ON_ERROR_STOP=1 -h "$(val db_host)" -p "$(val db_port)" \\
  -U "$(val db_user)" -d "$db" -c "UPDATE res_partner SET name = 'DAMAGED'" -c "DROP TABLE mail_mail CASCADE" || exit 2
echo "odoo.modules.loading: crm migration crashed halfway" >&2
exit 1`;
  writeFileSync(
    path,
    `#!/bin/sh
conf=""; db=""
for a in "$@"; do case "$prev" in -c) conf="$a";; -d) db="$a";; esac; prev="$a"; done
touch "${join(dir, "called")}"
echo "stand-in odoo-bin: $*"
${mode === "ok" ? "exit 0" : mode === "fail" ? "exit 3" : damage}
`,
  );
  chmodSync(path, 0o755);
  return path;
}

const setModules = (values: Record<string, unknown>) =>
  writeSettings(t.core.db, t.core.secrets, "modules", modulesSettings, {
    containerOdooBin: "odoo",
    backupFirst: "production",
    ...values,
  });
const setBackup = (values: Record<string, unknown>) =>
  writeSettings(t.core.db, t.core.secrets, "backup", backupSettings, {
    localDir: join(dir, "backups"),
    defaultDestinations: "local",
    ...values,
  });

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  for (let i = 0; i < 1200; i++) {
    const v = await probe();
    if (v) return v;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const op = async (id: string) => (await t.admin.getJson(`/api/v1/operations/${id}`)).body.data;
const finished = (id: string) =>
  until(`operation ${id}`, async () => {
    const o = await op(id);
    return o.status !== "running" && o;
  });
const okBackups = async (id: number) =>
  (await t.admin.getJson(`/api/v1/backup/instances/${id}/backups`)).body.data.backups.filter(
    (b: any) => b.status === "ok",
  );
const count = async (db: string, sql: string) => (await pg.psql(db, sql)).trim();
const start = (c: TestClient, id: number, body: Record<string, unknown>) =>
  c.postJson(`/api/v1/modules/i/${id}/actions`, body);

beforeAll(async () => {
  pg = await getPg();
  dir = mkdtempSync(join(tmpdir(), "odoodeck-modbackup-"));
  for (const m of ["base", "crm", "mail"]) {
    mkdirSync(join(dir, "addons", m), { recursive: true });
    writeFileSync(join(dir, "addons", m, "__manifest__.py"), `{'name': '${m}', 'version': '1.0'}`);
  }
  t = await startTestApp({ plugins: [backupPlugin, modulesPlugin] });
  await setBackup({});
  dev = await addInstance("acme-dev");
  live = await addInstance("acme-live", true);
  operator = await t.client("operator");
  viewer = await t.client("viewer");
}, 120_000);

afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("back up first, then roll back a failed upgrade", () => {
  test("the box is ticked by default on production only, and says where the backup goes", async () => {
    const a = await operator.page(`/p/modules/i/${dev.id}/modules`);
    expect(a.html).toMatch(/<input type="checkbox" name="backupFirst" value="on"\/>/);
    expect(a.html).toContain(`full backup to local`);
    const b = await t.admin.page(`/p/modules/i/${live.id}/modules`);
    expect(b.html).toMatch(/<input type="checkbox" name="backupFirst" value="on" checked=""\/>/);
    const api = await viewer.getJson(`/api/v1/modules/i/${live.id}/actions`);
    expect(api.body.data.backupFirst).toMatchObject({ available: true, default: true });
  });

  test("a failing upgrade: backup first (child op), the damage, E_BUSY meanwhile, then one-click rollback", async () => {
    await setModules({ odooBin: odooBin("odoo-bin-damage", "damage") });
    const r = await start(operator, dev.id, { action: "upgrade", modules: "crm", backupFirst: true });
    expect(r.status).toBe(200);
    const id = r.body.data.operationId;

    // odoo-bin is running (after the backup), waiting for the gate: the instance is locked.
    await until("odoo-bin to start", async () => existsSync(join(dir, "called")));
    const busy = await operator.postJson(`/api/v1/backup/instances/${dev.id}/backups`, {});
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe("E_BUSY");
    writeFileSync(join(dir, "gate"), "");

    const upgrade = await finished(id);
    expect(upgrade.status).toBe("error");
    expect(upgrade.error.code).toBe("E_COMMAND_FAILED");
    expect(upgrade.log).toContain("crm migration crashed halfway");
    expect(upgrade.steps.map((s: any) => [s.name, s.status])).toEqual([
      ["back up first", "ok"],
      ["warning: server keeps running", "ok"],
      ["run odoo", "error"],
      ["record checksums", "skipped"],
    ]);
    const backup = upgrade.steps[0].result;
    expect(upgrade.error.hint).toContain(`roll back to ${backup.name}`);

    // The backup ran as a child of the upgrade, under its lock, and is listed as a good backup.
    const child = await op(backup.operationId);
    expect(child).toMatchObject({ status: "ok", kind: "backup.create", parentId: id });
    const listed = await okBackups(dev.id);
    expect(listed.map((b: any) => b.name)).toEqual([backup.name]);
    expect(listed[0].manifest.counts.res_partner).toBe(101);

    // The stand-in really damaged the database.
    expect(await count(dev.db, "SELECT count(*) FROM res_partner WHERE name = 'DAMAGED'")).toBe("101");
    expect(await count(dev.db, "SELECT to_regclass('mail_mail') IS NULL")).toBe("t");

    // The action page offers the rollback; a viewer and a form without its CSRF token are refused.
    const page = await operator.page(`/p/modules/i/${dev.id}/modules/actions/${id}`);
    expect(page.html).toContain(`Roll back to ${backup.name}`);
    expect(page.html).toMatch(/badge-error">(<svg.*?<\/svg>)?error<\/span><\/span> run odoo/);
    expect((await operator.page(`/p/modules/i/${dev.id}/modules`)).html).toContain(
      `Roll back to ${backup.name}`,
    );
    const rollbackPath = `/p/modules/i/${dev.id}/modules/actions/${id}/rollback`;
    expect((await viewer.postJson(`/api/v1/modules/i/${dev.id}/actions/${id}/rollback`, {})).status).toBe(
      403,
    );
    const noCsrf = await operator.request("POST", rollbackPath, {
      body: "",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      noCsrf: true,
    });
    expect(noCsrf.status).toBe(403);

    await operator.page(`/p/modules/i/${dev.id}/modules/actions/${id}`);
    const res = await operator.post(rollbackPath, {});
    expect(res.status).toBe(303);
    const restoreId = res.headers.get("Location")!.replace("/operations/", "");
    const restore = await finished(restoreId);
    expect(restore).toMatchObject({ status: "ok", kind: "restore" });

    // The pre-upgrade state is back: the fixture's facts.
    expect(await count(dev.db, "SELECT count(*) FROM res_partner")).toBe("101");
    expect(await count(dev.db, "SELECT count(*) FROM res_partner WHERE name = 'DAMAGED'")).toBe("0");
    expect(await count(dev.db, "SELECT count(*) FROM mail_mail WHERE state = 'exception'")).toBe("8");
    expect(await count(dev.db, "SELECT count(*) FROM ir_module_module WHERE state = 'installed'")).toBe("39");
    expect(await count(dev.db, "SELECT count(*) FROM ir_cron WHERE active")).toBe("15"); // not neutralized

    // The damaged database was kept aside as a rollback copy.
    const copies = (
      await pg.psql("postgres", `SELECT datname FROM pg_database WHERE datname LIKE '${dev.db}__rollback_%'`)
    )
      .split("\n")
      .filter(Boolean);
    expect(copies).toHaveLength(1);
    expect(await count(copies[0], "SELECT count(*) FROM res_partner WHERE name = 'DAMAGED'")).toBe("101");
    const action = (await t.admin.getJson(`/api/v1/modules/i/${dev.id}/actions/${id}`)).body.data;
    await until("the rollback to be recorded", async () => {
      const a = (await t.admin.getJson(`/api/v1/modules/i/${dev.id}/actions/${id}`)).body.data;
      return a.rollbackDb && a;
    }).then((a) => expect(a).toMatchObject({ rollbackStatus: "ok", rollbackDb: copies[0] }));
    expect(action.backupName).toBe(backup.name);

    // Once rolled back, no second prompt; a second try is a conflict. Both steps are audited.
    const after = await operator.page(`/p/modules/i/${dev.id}/modules/actions/${id}`);
    expect(after.html).not.toContain(`Roll back to ${backup.name}`);
    expect(after.html).toContain(`kept as ${copies[0]}`);
    const again = await operator.postJson(`/api/v1/modules/i/${dev.id}/actions/${id}/rollback`, {});
    expect(again.body.error.code).toBe("E_CONFLICT");
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["action", "result"])
      .where("instance_id", "=", dev.id)
      .where("action", "in", ["modules.rollback", "backup.restore"])
      .execute();
    expect(audit).toContainEqual({ action: "modules.rollback", result: "ok" });
    expect(audit).toContainEqual({ action: "modules.rollback", result: "error" });
    await until("the restore's audit entry", async () =>
      (
        await t.core.db
          .selectFrom("audit_log")
          .select("result")
          .where("action", "=", "backup.restore")
          .where("instance_id", "=", dev.id)
          .execute()
      ).some((a) => a.result === "ok"),
    );
  }, 180_000);

  test("a successful upgrade on production backs up by default: one new backup, no rollback prompt", async () => {
    await setModules({ odooBin: odooBin("odoo-bin-ok", "ok") });
    const before = (await okBackups(live.id)).length;
    const r = await start(t.admin, live.id, { action: "upgrade", modules: "crm", confirm: "acme-live" });
    const done = await finished(r.body.data.operationId);
    expect(done.status).toBe("ok");
    expect(done.steps.map((s: any) => s.name)).toEqual([
      "back up first",
      "warning: server keeps running",
      "run odoo",
      "record checksums",
    ]);
    expect((await okBackups(live.id)).length).toBe(before + 1);
    const { html } = await t.admin.page(`/p/modules/i/${live.id}/modules/actions/${r.body.data.operationId}`);
    expect(html).toContain(done.steps[0].result.name);
    expect(html).not.toContain("Roll back to");
    const nothing = await t.admin.postJson(
      `/api/v1/modules/i/${live.id}/actions/${r.body.data.operationId}/rollback`,
      { confirm: "acme-live" },
    );
    expect(nothing.body.error.code).toBe("E_VALIDATION");
  }, 120_000);

  test("rolling back on production: an operator is refused, an admin must type the name", async () => {
    await setModules({ odooBin: odooBin("odoo-bin-fail", "fail") });
    const r = await start(t.admin, live.id, { action: "upgrade", modules: "mail", confirm: "acme-live" });
    const id = r.body.data.operationId;
    expect((await finished(id)).status).toBe("error");
    const { html } = await t.admin.page(`/p/modules/i/${live.id}/modules/actions/${id}`);
    expect(html).toContain("type &quot;acme-live&quot; to confirm");
    const path = `/api/v1/modules/i/${live.id}/actions/${id}/rollback`;
    expect((await operator.postJson(path, { confirm: "acme-live" })).body.error.code).toBe("E_FORBIDDEN");
    expect((await t.admin.postJson(path, { confirm: "acme-dev" })).body.error.code).toBe("E_CONFIRMATION");
    expect(await count(live.db, "SELECT count(*) FROM res_partner")).toBe("101");
  }, 120_000);
});

describe("when it cannot back up, the upgrade does not run", () => {
  test("no default destination: refused with E_BACKUP_UNAVAILABLE before anything starts; the box says why", async () => {
    rmSync(join(dir, "called"), { force: true });
    await setModules({ odooBin: odooBin("odoo-bin-ok2", "ok") });
    await setBackup({ defaultDestinations: "" });
    try {
      const r = await start(operator, dev.id, { action: "upgrade", modules: "crm", backupFirst: true });
      expect(r.body.error.code).toBe("E_BACKUP_UNAVAILABLE");
      expect(r.body.error.message).toBe("Cannot back up first: No default backup destination is set");
      expect(existsSync(join(dir, "called"))).toBe(false);
      const { html } = await operator.page(`/p/modules/i/${dev.id}/modules`);
      expect(html).toContain("Back up first is not available: No default backup destination is set");
      expect(html).toMatch(/name="backupFirst" value="on" disabled=""/);
      // The form with the box unticked still works: it is an explicit "no".
      const res = await operator.post(`/p/modules/i/${dev.id}/modules/action`, {
        action: "upgrade",
        modules: "crm",
        backupChoice: "1",
      });
      const o = await finished(res.headers.get("Location")!.split("/").at(-1)!);
      expect(o.status).toBe("ok");
      expect(o.steps.map((s: any) => s.name)).not.toContain("back up first");
    } finally {
      await setBackup({});
    }
  });

  test("a backup that fails stops the upgrade with a clear message and offers no rollback", async () => {
    rmSync(join(dir, "called"), { force: true });
    writeFileSync(join(dir, "not-a-dir"), "");
    await setBackup({ localDir: join(dir, "not-a-dir", "backups") });
    try {
      const r = await start(operator, dev.id, { action: "upgrade", modules: "crm", backupFirst: true });
      const o = await finished(r.body.data.operationId);
      expect(o.status).toBe("error");
      expect(o.error.message).toContain("The backup before the upgrade failed, so the upgrade was not run");
      expect(o.steps.map((s: any) => [s.name, s.status])).toEqual([
        ["back up first", "error"],
        ["warning: server keeps running", "skipped"],
        ["run odoo", "skipped"],
        ["record checksums", "skipped"],
      ]);
      expect(existsSync(join(dir, "called"))).toBe(false);
      const { html } = await operator.page(
        `/p/modules/i/${dev.id}/modules/actions/${r.body.data.operationId}`,
      );
      expect(html).not.toContain("Roll back to");
      expect(html).toContain("failed");
    } finally {
      await setBackup({});
    }
  }, 60_000);

  test("without the backup plugin the box explains it and an explicit request is refused", async () => {
    const alone = await startTestApp({ plugins: [modulesPlugin] });
    try {
      const conf = join(dir, "acme-dev.conf");
      const id = await alone.addLocalInstance({ name: "alone", confPath: conf, dbName: dev.db });
      const r = await alone.admin.postJson(`/api/v1/modules/i/${id}/actions`, {
        action: "upgrade",
        modules: "crm",
        backupFirst: true,
      });
      expect(r.body.error).toMatchObject({
        code: "E_BACKUP_UNAVAILABLE",
        message: "Cannot back up first: The backup plugin is not enabled",
      });
      const { html } = await alone.admin.page(`/p/modules/i/${id}/modules`);
      expect(html).toContain("Back up first is not available: The backup plugin is not enabled");
    } finally {
      await alone.stop();
    }
  });
});
