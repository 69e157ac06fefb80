/**
 * Module actions with the instance's runtime (issue 18): the server is stopped so odoo-bin runs
 * alone on the database, started again so the new code is loaded, smoke-checked (login page, no
 * ERROR in its log since the restart), and rolled back to the backup taken first when it is not
 * healthy. The instance's systemd unit is the stand-in `systemctl` (systemd is not PID 1 here),
 * which runs the stand-in Odoo serving HTTP; the action's odoo-bin is a shell stand-in that
 * writes to the real database.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import { settings as backupSettings } from "../../plugins/backup/settings.ts";
import modulesPlugin from "../../plugins/modules/index.ts";
import { modulesSettings } from "../../plugins/modules/settings.ts";
import { writeSettings } from "../../server/plugin-host/settings.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { extractFilestore } from "../helpers/fixtures.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";
import { freeLocalPort, odooProcesses, STAND_IN_TOOLS, waitGone } from "../helpers/runtime.ts";

let t: TestApp;
let pg: TestPg;
let dir: string;
let db: string;
let id: number;
let port: number;
let conf: string;
const data = () => join(dir, "data");
const PATH = process.env.PATH;

/**
 * The action's odoo-bin: says whether the unit was running while it ran (systemctl show), marks
 * the database, and with `breaks` leaves code behind that makes the next start log an ERROR.
 */
function odooBin(name: string, breaks: boolean): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh
echo "while odoo-bin ran: $(systemctl show odoo-acme.service | grep ActiveState)"
PGPASSWORD='${pg.odooPassword}' psql -X -q -h 127.0.0.1 -p ${pg.port} -U ${pg.odooUser} -d ${db} \\
  -c "UPDATE res_partner SET name = 'UPGRADED' WHERE id = 1" || exit 2
${breaks ? `touch "${join(data(), "stand-in-error")}"` : ""}
exit 0
`,
  );
  chmodSync(path, 0o755);
  return path;
}

const setModules = (odooBinPath: string) =>
  writeSettings(t.core.db, t.core.secrets, "modules", modulesSettings, {
    odooBin: odooBinPath,
    containerOdooBin: "odoo",
    backupFirst: "never",
  });

async function finished(opId: string): Promise<any> {
  for (let i = 0; i < 1200; i++) {
    const o = (await t.admin.getJson(`/api/v1/operations/${opId}`)).body.data;
    if (o.status !== "running") return o;
    await Bun.sleep(50);
  }
  throw new Error(`operation ${opId} did not finish`);
}

const count = async (sql: string) => (await pg.psql(db, sql)).trim();
const login = async () => (await fetch(`http://127.0.0.1:${port}/web/login?db=${db}`)).status;
const unitPid = () => Number(readFileSync(join(dir, "odoo-acme.service.pid"), "utf8"));

beforeAll(async () => {
  pg = await getPg();
  dir = mkdtempSync(join(tmpdir(), "odoodeck-modrt-"));
  process.env.PATH = `${STAND_IN_TOOLS}:${PATH}`;
  process.env.STAND_IN_STATE = dir;
  db = await fixtureDb("acme_prod");
  mkdirSync(join(data(), "filestore"), { recursive: true });
  renameSync(await extractFilestore("acme_prod", join(dir, "tmp-fs")), join(data(), "filestore", db));
  for (const m of ["base", "crm", "mail"]) {
    mkdirSync(join(dir, "addons", m), { recursive: true });
    writeFileSync(join(dir, "addons", m, "__manifest__.py"), `{'name': '${m}', 'version': '1.0'}`);
  }
  port = freeLocalPort();
  // The stand-in systemctl runs the stand-in Odoo with <state>/<unit>.conf: the instance's own conf.
  conf = join(dir, "odoo-acme.service.conf");
  writeFileSync(
    conf,
    `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\n` +
      `db_password = ${pg.odooPassword}\ndb_name = ${db}\ndata_dir = ${data()}\n` +
      `addons_path = ${join(dir, "addons")}\nhttp_port = ${port}\n`,
  );
  t = await startTestApp({ plugins: [backupPlugin, modulesPlugin] });
  await writeSettings(t.core.db, t.core.secrets, "backup", backupSettings, {
    localDir: join(dir, "backups"),
    defaultDestinations: "local",
  });
  id = await t.addLocalInstance({
    name: "acme-unit",
    confPath: conf,
    dbName: db,
    // The backup plugin's swap calls systemctl with the name as recorded: the stand-in wants it whole.
    service: "odoo-acme.service",
  });
  expect(
    Bun.spawnSync([join(STAND_IN_TOOLS, "systemctl"), "start", "odoo-acme.service"], {
      env: { ...process.env },
    }).exitCode,
  ).toBe(0);
  for (let i = 0; i < 200 && (await login().catch(() => 0)) !== 200; i++) await Bun.sleep(50);
}, 120_000);

afterAll(async () => {
  Bun.spawnSync([join(STAND_IN_TOOLS, "systemctl"), "stop", "odoo-acme.service"], {
    env: { ...process.env },
  });
  await waitGone(conf);
  await t?.stop();
  process.env.PATH = PATH;
  delete process.env.STAND_IN_STATE;
  rmSync(dir, { recursive: true, force: true });
});

describe("module actions stop the server, restart it and check it", () => {
  test("an upgrade: the unit is stopped while odoo-bin runs, started again, and the smoke check passes", async () => {
    await setModules(odooBin("odoo-bin-ok", false));
    const pidBefore = unitPid();
    const r = await t.admin.postJson(`/api/v1/modules/i/${id}/actions`, {
      action: "upgrade",
      modules: "crm",
    });
    expect(r.status).toBe(200);
    const op = await finished(r.body.data.operationId);
    expect(op.status).toBe("ok");
    expect(op.steps.map((s: any) => [s.name, s.status])).toEqual([
      ["stop server", "ok"],
      ["run odoo", "ok"],
      ["start server", "ok"],
      ["smoke check", "ok"],
      ["record checksums", "ok"],
    ]);
    // odoo-bin ran alone: the unit was down, so no cron worker could hold ir_module_module.
    expect(op.log).toContain("while odoo-bin ran: ActiveState=inactive");
    expect(op.log).toContain(`GET http://127.0.0.1:${port}/web/login?db=${db} → 200`);
    expect(op.log).toContain("no ERROR in the log since the restart");
    // A new Odoo process serves the new code; the old one is gone.
    expect(await login()).toBe(200);
    expect(odooProcesses(conf)).toEqual([unitPid()]);
    expect(unitPid()).not.toBe(pidBefore);
    expect(await count("SELECT name FROM res_partner WHERE id = 1")).toBe("UPGRADED");
  }, 120_000);

  test("an ERROR in Odoo's log after the restart fails the smoke check and rolls back to the backup", async () => {
    await setModules(odooBin("odoo-bin-breaks", true));
    const original = await count("SELECT name FROM res_partner WHERE id = 1");
    const r = await t.admin.postJson(`/api/v1/modules/i/${id}/actions`, {
      action: "upgrade",
      modules: "mail",
      backupFirst: true,
    });
    expect(r.status).toBe(200);
    const opId = r.body.data.operationId;
    const op = await finished(opId);
    rmSync(join(data(), "stand-in-error"), { force: true });
    expect(op.status).toBe("error");
    expect(op.steps.map((s: any) => [s.name, s.status])).toEqual([
      ["back up first", "ok"],
      ["stop server", "ok"],
      ["run odoo", "ok"],
      ["start server", "ok"],
      ["smoke check", "error"],
      ["record checksums", "skipped"],
      ["roll back", "ok"],
    ]);
    const backup = op.steps[0].result;
    expect(op.error.message).toContain("Odoo logged 1 error(s) since the restart");
    expect(op.error.message).toContain("Failed to load registry");
    expect(op.error.message).toContain(`rolled back to ${backup.name}`);
    expect(op.log).toMatch(/ ERROR \S+ odoo\.modules\.registry: Failed to load registry/);

    // The database before the upgrade is back, the failed one kept aside, and the server serves it.
    expect(await count("SELECT name FROM res_partner WHERE id = 1")).toBe(original);
    expect(await count("SELECT count(*) FROM res_partner")).toBe("101");
    const action = (await t.admin.getJson(`/api/v1/modules/i/${id}/actions/${opId}`)).body.data;
    expect(action).toMatchObject({ status: "error", rollbackStatus: "ok", rollbackBy: "admin" });
    expect(await pg.psql(action.rollbackDb, "SELECT name FROM res_partner WHERE id = 1")).toContain(
      "UPGRADED",
    );
    expect(await login()).toBe(200);
    expect(odooProcesses(conf)).toEqual([unitPid()]);
    // Rolled back already: the page offers no second rollback.
    const page = await t.admin.page(`/p/modules/i/${id}/modules/actions/${opId}`);
    expect(page.html).not.toContain(`Roll back to ${backup.name}`);
    expect(existsSync(join(data(), "stand-in-error"))).toBe(false);
  }, 180_000);
});
