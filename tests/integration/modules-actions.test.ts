import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import modulesPlugin from "../../plugins/modules/index.ts";
import { createToken } from "../../server/auth/tokens.ts";
import { writeFakeOdooBin } from "../helpers/fake-odoo-bin.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";

let t: TestApp;
let pg: TestPg;
let dir: string;
let devId: number;
let liveId: number;
let operator: TestClient;
let viewer: TestClient;
let prod: string;

function writeConf(
  name: string,
  db: string,
  opts: { password?: string; port?: number; addons?: string } = {},
): string {
  const path = join(dir, `${name}.conf`);
  writeFileSync(
    path,
    `[options]\ndb_host = 127.0.0.1\ndb_port = ${opts.port ?? pg.port}\ndb_user = ${pg.odooUser}\n` +
      `db_password = ${opts.password ?? pg.odooPassword}\ndb_name = ${db}\ndata_dir = ${join(dir, "data")}\n` +
      `addons_path = ${opts.addons ?? join(dir, "addons")}\n`,
  );
  return path;
}

/** A real executable standing in for odoo-bin: prints its argv and stdin, exits with FAKE_EXIT. */
function fakeOdooBin(name: string, exit: number): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh\necho "fake odoo-bin called with: $*"\nif [ "$1" = shell ]; then cat; fi\necho "odoo.modules.loading: done" >&2\nexit ${exit}\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

async function setOdooBin(path: string) {
  await t.admin.page("/settings");
  const res = await t.admin.post("/settings/modules", { odooBin: path, containerOdooBin: "odoo" });
  expect(res.status).toBe(200);
}

async function waitFor(id: string): Promise<any> {
  for (let i = 0; i < 200; i++) {
    const { body } = await t.admin.getJson(`/api/v1/operations/${id}`);
    if (body.data.status !== "running") return body.data;
    await Bun.sleep(50);
  }
  throw new Error("operation did not finish");
}

beforeAll(async () => {
  pg = await getPg();
  dir = mkdtempSync(join(tmpdir(), "odoodeck-modact-"));
  prod = await fixtureDb("acme_prod");
  for (const m of ["base", "crm", "mail", "project"]) {
    mkdirSync(join(dir, "addons", m), { recursive: true });
    writeFileSync(join(dir, "addons", m, "__manifest__.py"), `{'name': '${m}', 'version': '1.0'}`);
  }
  t = await startTestApp({ plugins: [modulesPlugin] });
  devId = await t.addLocalInstance({ name: "acme-dev", confPath: writeConf("dev", prod) });
  liveId = await t.addLocalInstance({
    name: "acme-live",
    confPath: writeConf("live", prod),
    production: true,
  });
  operator = await t.client("operator");
  viewer = await t.client("viewer");
}, 120_000);

afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("install / upgrade / uninstall as operations", () => {
  test("an upgrade runs odoo-bin with the conf under the lock; its output lands in the operation log", async () => {
    await setOdooBin(fakeOdooBin("odoo-bin-ok", 0));
    const r = await operator.postJson(`/api/v1/modules/i/${devId}/actions`, {
      action: "upgrade",
      modules: "crm,mail",
    });
    expect(r.status).toBe(200);
    const op = await waitFor(r.body.data.operationId);
    expect(op.status).toBe("ok");
    expect(op.kind).toBe("modules.upgrade");
    expect(op.log).toContain(
      `fake odoo-bin called with: -c ${join(dir, "dev.conf")} -d ${prod} -u crm,mail --stop-after-init`,
    );
    expect(op.log).toContain("odoo.modules.loading: done");
    // No unit, container or managed process: odoodeck cannot stop the server, and says so.
    expect(op.steps.map((s: any) => [s.name, s.status])).toEqual([
      ["warning: server keeps running", "ok"],
      ["run odoo", "ok"],
      ["record checksums", "ok"],
    ]);
    expect(op.steps[0].result).toEqual({ warning: "the server keeps running: its crons may hold locks" });
    expect(op.log).toContain("warning: the server keeps running: its crons may hold locks");
    // What was deployed is now the reference for "changed since last recorded".
    const { body } = await t.admin.getJson(`/api/v1/modules/i/${devId}`);
    expect(body.data.modules.find((m: any) => m.name === "crm").recorded.recordedBy).toMatch(/^user/);
  });

  test("uninstall (its typed name asked on every instance) feeds the shell script on stdin", async () => {
    const noName = await operator.postJson(`/api/v1/modules/i/${devId}/actions`, {
      action: "uninstall",
      modules: ["crm"],
    });
    expect(noName.body.error.code).toBe("E_CONFIRMATION");
    const r = await operator.postJson(`/api/v1/modules/i/${devId}/actions`, {
      action: "uninstall",
      modules: ["crm"],
      confirm: "acme-dev",
    });
    const op = await waitFor(r.body.data.operationId);
    expect(op.status).toBe("ok");
    expect(op.log).toContain("fake odoo-bin called with: shell -c");
    expect(op.log).toContain('("name", "in", ["crm"])');
  });

  test("a failing odoo-bin fails the operation with its output kept", async () => {
    await setOdooBin(fakeOdooBin("odoo-bin-fail", 3));
    const r = await operator.postJson(`/api/v1/modules/i/${devId}/actions`, {
      action: "upgrade",
      modules: "crm",
    });
    const op = await waitFor(r.body.data.operationId);
    expect(op.status).toBe("error");
    expect(op.error.code).toBe("E_COMMAND_FAILED");
    expect(op.error.message).toContain("exited with code 3");
    expect(op.log).toContain("fake odoo-bin called with:");
  });

  test("the form on the page starts it and redirects to the action's page, which links the operation", async () => {
    await setOdooBin(fakeOdooBin("odoo-bin-ok2", 0));
    await operator.page(`/p/modules/i/${devId}/modules`);
    const res = await operator.post(`/p/modules/i/${devId}/modules/action`, {
      action: "install",
      modules: "project",
    });
    expect(res.status).toBe(303);
    const location = res.headers.get("Location")!;
    expect(location).toStartWith(`/p/modules/i/${devId}/modules/actions/`);
    const id = location.split("/").at(-1)!;
    expect((await waitFor(id)).log).toContain("-i project --stop-after-init");
    const { html } = await operator.page(location);
    expect(html).toContain(`href="/operations/${id}"`);
    expect(html).toContain("install project on acme-dev");
  });

  test("bad requests are refused before anything runs", async () => {
    const cases: Array<[unknown, string, string]> = [
      [{ action: "upgrade", modules: "web_unsplash" }, "E_VALIDATION", "missing from every addons path"],
      [{ action: "install", modules: "base" }, "E_VALIDATION", "already installed"],
      [{ action: "upgrade", modules: "no_such_module" }, "E_NOT_FOUND", "no_such_module"],
      [{ action: "drop", modules: "crm" }, "E_VALIDATION", "Unknown action"],
      [{ action: "upgrade", modules: "crm;rm -rf /" }, "E_VALIDATION", "is not a module name"],
    ];
    for (const [body, code, text] of cases) {
      const r = await operator.postJson(`/api/v1/modules/i/${devId}/actions`, body);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.message).toContain(text);
    }
  });
});

describe("who may run actions", () => {
  test("a viewer is refused", async () => {
    const r = await viewer.postJson(`/api/v1/modules/i/${devId}/actions`, {
      action: "upgrade",
      modules: "crm",
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe("E_FORBIDDEN");
  });

  test("production: an operator is refused, an admin needs the typed name", async () => {
    const op = await operator.postJson(`/api/v1/modules/i/${liveId}/actions`, {
      action: "upgrade",
      modules: "crm",
    });
    expect(op.body.error.code).toBe("E_FORBIDDEN");
    const noConfirm = await t.admin.postJson(`/api/v1/modules/i/${liveId}/actions`, {
      action: "upgrade",
      modules: "crm",
    });
    expect(noConfirm.status).toBe(400);
    expect(noConfirm.body.error).toMatchObject({
      code: "E_CONFIRMATION",
      hint: 'Enter exactly "acme-live" in the confirmation field',
    });
    const wrong = await t.admin.postJson(`/api/v1/modules/i/${liveId}/actions`, {
      action: "upgrade",
      modules: "crm",
      confirm: "acme-prod",
    });
    expect(wrong.body.error.code).toBe("E_CONFIRMATION");
    const good = await t.admin.postJson(`/api/v1/modules/i/${liveId}/actions`, {
      action: "upgrade",
      modules: "crm",
      confirm: "acme-live",
    });
    expect(good.status).toBe(200);
    expect((await waitFor(good.body.data.operationId)).status).toBe("ok");
    const refused = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "modules.upgrade")
      .where("instance_id", "=", liveId)
      .where("result", "=", "error")
      .execute();
    // Every refusal is in the log: the operator's, the missing and the wrong name.
    expect(refused.length).toBe(3);
  });

  test("a second action on the same instance while one runs gets E_BUSY", async () => {
    const slow = join(dir, "odoo-bin-slow");
    writeFileSync(slow, "#!/bin/sh\nsleep 1\necho slow done\n");
    chmodSync(slow, 0o755);
    await setOdooBin(slow);
    const a = await operator.postJson(`/api/v1/modules/i/${devId}/actions`, {
      action: "upgrade",
      modules: "mail",
    });
    const b = await operator.postJson(`/api/v1/modules/i/${devId}/actions`, {
      action: "upgrade",
      modules: "base",
    });
    const [first, second] = [await waitFor(a.body.data.operationId), await waitFor(b.body.data.operationId)];
    expect(first.status).toBe("ok");
    expect(second.status).toBe("error");
    expect(second.error.code).toBe("E_BUSY");
  });
});

describe("faults: the page still renders with a clear error", () => {
  test("a database that is not Odoo", async () => {
    await pg.createDb(`notodoo_${process.pid}`, { owner: pg.odooUser });
    const id = await t.addLocalInstance({
      name: "not-odoo",
      confPath: writeConf("notodoo", `notodoo_${process.pid}`),
    });
    const { res, html } = await t.admin.page(`/p/modules/i/${id}/modules`);
    expect(res.status).toBe(200);
    expect(html).toContain("E_NOT_ODOO");
    expect(html).toContain("is not an Odoo database");
    expect(html).toContain("Addons paths"); // the rest of the page is there
    const api = await t.admin.getJson(`/api/v1/modules/i/${id}`);
    expect(api.body.error.code).toBe("E_NOT_ODOO");
  });

  test("wrong credentials, unreachable PostgreSQL, nonexistent addons path", async () => {
    const bad = await t.addLocalInstance({
      name: "bad-pw",
      confPath: writeConf("badpw", prod, { password: "wrong" }),
    });
    const down = await t.addLocalInstance({
      name: "pg-down",
      confPath: writeConf("down", prod, { port: 1 }),
    });
    const noAddons = await t.addLocalInstance({
      name: "no-addons",
      confPath: writeConf("noaddons", prod, { addons: "/nonexistent/addons" }),
    });
    const page = async (id: number) => (await t.admin.page(`/p/modules/i/${id}/modules`)).html;
    expect(await page(bad)).toContain("E_DB_AUTH");
    expect(await page(down)).toContain("E_DB_UNREACHABLE");
    const html = await page(noAddons);
    expect(html).toContain("Addons path /nonexistent/addons does not exist");
    expect(html).toContain("<strong>39</strong> installed"); // the database part still works
    expect(html).not.toContain("banner-missing"); // nothing can be called missing without any readable path
  });
});

describe("checksums after an install (issue 15.9)", () => {
  test("every module whose state changed gets its checksum, not only the one asked for", async () => {
    const db = await fixtureDb("acme_prod");
    mkdirSync(join(dir, "addons", "uom"), { recursive: true });
    writeFileSync(join(dir, "addons", "uom", "__manifest__.py"), "{'name': 'uom', 'version': '1.0'}");
    const id = await t.addLocalInstance({ name: "acme-deps", confPath: writeConf("deps", db) });
    // Like Odoo: installing project pulls in uom.
    const bin = join(dir, "odoo-bin-deps");
    writeFileSync(
      bin,
      `#!/bin/sh\nPGPASSWORD='${pg.odooPassword}' psql -X -q -h 127.0.0.1 -p ${pg.port} -U ${pg.odooUser} -d ${db} -c "UPDATE ir_module_module SET state = 'installed', latest_version = '17.0.1.0' WHERE name IN ('project', 'uom')"\n`,
    );
    chmodSync(bin, 0o755);
    await setOdooBin(bin);
    const r = await operator.postJson(`/api/v1/modules/i/${id}/actions`, {
      action: "install",
      modules: "project",
    });
    const op = await waitFor(r.body.data.operationId);
    expect(op.status).toBe("ok");
    const { body } = await t.admin.getJson(`/api/v1/modules/i/${id}`);
    const byName = new Map(body.data.modules.map((m: any) => [m.name, m]));
    expect((byName.get("project") as any).recorded?.recordedBy).toMatch(/^user/);
    expect((byName.get("uom") as any).recorded?.recordedBy).toMatch(/^user/);
    expect((byName.get("crm") as any).recorded).toBeFalsy();
  }, 60_000);
});

describe("odoo-bin out of the box (issue 15, item 3)", () => {
  test("a checkout whose odoo-bin is not executable: the upgrade runs python3 <root>/odoo-bin", async () => {
    const root = join(dir, "odoo-src");
    for (const m of ["odoo/addons/base", "addons/crm", "addons/mail"]) {
      mkdirSync(join(root, m), { recursive: true });
      writeFileSync(join(root, m, "__manifest__.py"), "{'name': 'x', 'version': '1.0'}");
    }
    const bin = writeFakeOdooBin(join(root, "odoo-bin"), { executable: false });
    const conf = writeConf("checkout", prod, { addons: join(root, "addons") });
    const id = await t.addLocalInstance({ name: "acme-checkout", confPath: conf });
    await setOdooBin(""); // nothing configured: found from the instance's own layout
    const r = await operator.postJson(`/api/v1/modules/i/${id}/actions`, {
      action: "upgrade",
      modules: "crm",
    });
    expect(r.status).toBe(200);
    const op = await waitFor(r.body.data.operationId);
    expect(op.status).toBe("ok");
    expect(op.log).toContain(`Odoo: ${bin} is not executable: run as python3 ${bin}`);
    expect(op.log).toContain(`fake odoo-bin called with: -c ${conf} -d ${prod} -u crm --stop-after-init`);
  }, 60_000);
});

describe("the same actions as declared operations (REST /api/v1/ops, CLI, MCP)", () => {
  test("modules.upgrade runs through the executor; uninstall needs the typed name; production needs an admin", async () => {
    await setOdooBin(fakeOdooBin("odoo-bin-ops", 0));
    const r = await operator.postJson("/api/v1/ops/modules.upgrade", { instance: devId, modules: ["crm"] });
    expect(r.status).toBe(202);
    const op = await waitFor(r.body.data.operationId);
    expect(op).toMatchObject({ status: "ok", kind: "modules.upgrade" });
    expect(op.log).toContain("-u crm --stop-after-init");

    const noName = await operator.postJson("/api/v1/ops/modules.uninstall", {
      instance: devId,
      modules: ["crm"],
    });
    expect(noName.body.error.code).toBe("E_CONFIRMATION");
    const onLive = await operator.postJson("/api/v1/ops/modules.upgrade", {
      instance: liveId,
      modules: ["crm"],
    });
    expect(onLive.body.error.code).toBe("E_FORBIDDEN");
    const bad = await operator.postJson("/api/v1/ops/modules.upgrade", {
      instance: devId,
      modules: ["Bad Name"],
    });
    expect(bad.body.error.code).toBe("E_VALIDATION");

    const list = await viewer.postJson("/api/v1/ops/modules.list", { instance: devId });
    expect(list.body.data.modules.find((m: any) => m.name === "crm").state).toBe("installed");
    const rec = await viewer.postJson("/api/v1/ops/modules.record-checksums", { instance: devId });
    expect(rec.body.error.code).toBe("E_FORBIDDEN");
  });
});

describe("one production rule for module actions, whatever the surface", () => {
  /** The error code each surface answers for one call of `op` on `instance`, as `role`. */
  async function codes(role: "admin" | "operator", op: string, input: Record<string, unknown>) {
    const user = role === "admin" ? t.admin : operator;
    const tok = (await createToken(t.core.db, { id: 1, role: "admin" }, { name: `mcp-${role}-${op}`, role }))
      .token;
    const mcp = new Client({ name: "modules-rule", version: "1.0.0" });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${tok}` } },
      }),
    );
    try {
      const tool = await mcp.callTool({ name: op.replace(".", "_"), arguments: input });
      const action = op.split(".")[1];
      const form = { action, modules: (input.modules as string[]).join(","), ...pick(input, "confirm") };
      await user.page(`/p/modules/i/${liveId}/modules`);
      const page = await user.post(`/p/modules/i/${liveId}/modules/action`, form);
      return {
        rest: (await user.postJson(`/api/v1/ops/${op}`, input)).body.error?.code,
        json: (await user.postJson(`/api/v1/modules/i/${liveId}/actions`, { ...input, action })).body.error
          ?.code,
        mcp: (tool.structuredContent as any).error?.code,
        page: [page.status, (await page.text()).includes("acme-live is marked production")],
      };
    } finally {
      await mcp.close();
    }
  }
  const pick = (o: Record<string, unknown>, k: string) => (k in o ? { [k]: o[k] } : {});

  test("install and upgrade on production: an operator is refused, an admin must type the name, everywhere", async () => {
    await setOdooBin(fakeOdooBin("odoo-bin-rule", 0));
    const okOnLive = async () =>
      (
        await t.core.db
          .selectFrom("audit_log")
          .select("id")
          .where("instance_id", "=", liveId)
          .where("action", "in", ["modules.install", "modules.upgrade"])
          .where("result", "=", "ok")
          .execute()
      ).length;
    const before = await okOnLive();
    for (const op of ["modules.upgrade", "modules.install"]) {
      const modules = op === "modules.upgrade" ? ["crm"] : ["project"];
      const asOperator = await codes("operator", op, { instance: liveId, modules, confirm: "acme-live" });
      expect([asOperator.rest, asOperator.json, asOperator.mcp]).toEqual([
        "E_FORBIDDEN",
        "E_FORBIDDEN",
        "E_FORBIDDEN",
      ]);
      expect(asOperator.page).toEqual([403, true]);
      const noName = await codes("admin", op, { instance: liveId, modules });
      expect([noName.rest, noName.json, noName.mcp]).toEqual([
        "E_CONFIRMATION",
        "E_CONFIRMATION",
        "E_CONFIRMATION",
      ]);
      expect(noName.page).toEqual([400, true]);
    }
    // Nothing ran: not one module action on the production instance succeeded meanwhile.
    expect(await okOnLive()).toBe(before);
  }, 60_000);
});
