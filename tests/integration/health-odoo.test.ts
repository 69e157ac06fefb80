import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import parsePrometheus from "parse-prometheus-text-format";
import type { BackupStatusService } from "../../plugins/health/checks/backup.ts";
import health from "../../plugins/health/index.ts";
import { type HealthMonitor, monitorOf } from "../../plugins/health/engine/monitor.ts";
import { runCheck } from "../../plugins/health/engine/runner.ts";
import { makeTarget } from "../../plugins/health/target.ts";
import * as fake from "../../plugins/health/test-support/fake-odoo.ts";
import type { CheckDef } from "../../plugins/health/types.ts";
import { createToken } from "../../server/auth/tokens.ts";
import type { InstanceHandle, PluginContext } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";

let t: TestApp;
let pg: TestPg;
let ctx: PluginContext<any>;
let mon: HealthMonitor;
let db: string;
let inst: InstanceHandle;
const dir = mkdtempSync(join(tmpdir(), "health-odoo-"));
const web = fake.healthyOdoo();

function writeConf(name: string, database: string): string {
  const data = join(dir, `data-${name}`);
  mkdirSync(join(data, "filestore", database), { recursive: true });
  const path = join(dir, `${name}.conf`);
  writeFileSync(
    path,
    `[options]\ndb_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\ndb_name = ${database}\ndata_dir = ${data}\n`,
  );
  return path;
}

beforeAll(async () => {
  [pg, db] = await Promise.all([getPg(), fixtureDb("acme_prod")]);
  t = await startTestApp({ plugins: [health] });
  ctx = t.core.host.records.find((r) => r.id === "health")!.ctx!;
  mon = monitorOf(ctx);
  await mon.stopLoop();
  const id = await t.addLocalInstance({
    name: "acme-prod",
    confPath: writeConf("prod", db),
    dbName: db,
    production: true,
  });
  await t.core.db.updateTable("instances").set({ public_url: web.url }).where("id", "=", id).execute();
  inst = await ctx.instances.get(id);
  const downId = await t.addLocalInstance({ name: "acme-down", confPath: writeConf("down", db), dbName: db });
  await t.core.db
    .updateTable("instances")
    .set({ public_url: fake.refusingUrl() })
    .where("id", "=", downId)
    .execute();
}, 60_000);
afterAll(async () => {
  web.stop();
  await t.stop();
});

const byId = (id: string) => mon.checks.find((c) => c.id === id)!;
const run = (id: string, extra: Partial<CheckDef> = {}, override?: { warning?: number; critical?: number }) =>
  runCheck({ ...byId(id), ...extra }, makeTarget(inst), {
    timeoutMs: 15_000,
    override: override
      ? { check: id, warning: override.warning ?? null, critical: override.critical ?? null, disabled: false }
      : null,
  });

describe("Odoo-aware checks on the acme_prod fixture", () => {
  test("the 8 mails in exception are a warning", async () => {
    const r = await run("mail_exceptions");
    expect(r).toMatchObject({ status: "warning", value: 8, message: "8 mails in exception (not sent)" });
  });

  test("an outgoing mail older than 30 min is a stuck queue", async () => {
    expect(await run("mail_queue")).toMatchObject({
      status: "ok",
      value: 0,
      data: { outgoing: 0, exceptions: 8 },
    });
    await pg.psql(
      db,
      "UPDATE mail_mail SET state = 'outgoing', create_date = (now() AT TIME ZONE 'UTC') - interval '2 hours' WHERE id = (SELECT min(id) FROM mail_mail)",
    );
    const r = await run("mail_queue");
    expect(r).toMatchObject({ status: "warning", value: 1, data: { outgoing: 1, exceptions: 7 } });
    expect(r.message).toBe("1 outgoing, 1 older than 30 min");
    await pg.psql(db, "UPDATE mail_mail SET state = 'exception' WHERE state = 'outgoing'");
  });

  test("crons: on time when nextcall is ahead; two overdue by 3 h are counted with their lag", async () => {
    await pg.psql(db, "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '10 minutes'");
    expect(await run("crons")).toMatchObject({ status: "ok", value: 0, message: "15 active crons on time" });
    await pg.psql(
      db,
      "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') - interval '3 hours' WHERE id IN (SELECT id FROM ir_cron WHERE active ORDER BY id LIMIT 2)",
    );
    const r = await run("crons");
    expect(r).toMatchObject({ status: "warning", value: 2, data: { active: 15 } });
    expect(r.data!.lag_seconds).toBeGreaterThanOrEqual(3 * 3600);
    expect(r.message).toContain("2 of 15 active crons overdue");
  });

  test("a long-running query is seen in pg_stat_activity", async () => {
    const sleeper = Bun.spawn(["psql", pg.url(db, "odoo"), "-c", "SELECT pg_sleep(4)"], {
      stdout: "ignore",
      stderr: "ignore",
    });
    try {
      await Bun.sleep(1500);
      const r = await run("queries", {}, { warning: 1 });
      expect(r.status).toBe("warning");
      expect(r.value!).toBeGreaterThanOrEqual(1);
      expect(r.message).toMatch(/^longest active query [\d.]+ s; 0 over 5 min; 0 waiting on a lock$/);
    } finally {
      sleeper.kill();
    }
  });

  test("disk, inodes, memory and load are read through the connection", async () => {
    const [disk, inodes, mem, load] = await Promise.all([
      run("disk"),
      run("inodes"),
      run("memory"),
      run("load"),
    ]);
    expect(disk.value!).toBeGreaterThan(0);
    expect(disk.value!).toBeLessThanOrEqual(100);
    expect(disk.data!.free_bytes).toBeGreaterThan(0);
    expect(disk.message).toMatch(/% free \([\d.]+ GiB\) on \//);
    expect(["ok", "warning", "critical", "unknown"]).toContain(inodes.status);
    expect(mem.value!).toBeGreaterThan(0);
    expect(mem.data!.total_bytes).toBeGreaterThan(mem.data!.available_bytes);
    expect(load.data!.cpus).toBeGreaterThanOrEqual(1);
  });

  test("backup ages are unknown without the backup plugin, then measured through its service", async () => {
    expect(await run("backup_age")).toMatchObject({
      status: "unknown",
      message: "the backup plugin is not installed (no backup.status service with lastBackup)",
    });
    // The shape the backup plugin provides: its records (createdAt/finishedAt), or null.
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
    const svc: BackupStatusService = {
      lastBackup: async () => ({ id: 1, status: "ok", createdAt: hoursAgo(3), finishedAt: hoursAgo(2) }),
      lastVerifiedRestore: async () => null,
    };
    ctx.services.provide("backup.status", svc);
    const b = await run("backup_age");
    expect(b.status).toBe("ok");
    expect(b.value).toBeCloseTo(2, 0);
    expect(await run("restore_test_age")).toMatchObject({
      status: "critical",
      message: "no verified restore ever recorded",
    });
  });

  test("a new error signature from the logs plugin raises the errors check", async () => {
    expect((await run("errors")).status).toBe("unknown");
    (ctx.events as any).emit("logs.new_error", {
      instanceId: inst.id,
      signature: "KeyError crm.lead",
      message: "KeyError: 'partner_id'",
    });
    const r = await run("errors");
    expect(r).toMatchObject({ status: "warning", value: 1 });
    expect(r.message).toContain("KeyError: 'partner_id'");
  });
});

/** The row of one check in the instance tab's table, as the user reads it. */
function checkRow(html: string, label: string): string {
  const table = html.slice(html.indexOf('id="health-checks"'));
  const row = table.split("<tr").find((r) => r.includes(`<td>${label}</td>`)) ?? "";
  return row.slice(row.indexOf(">") + 1);
}
const text = (row: string) =>
  row
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();

describe("pages, status API, metrics and CLI after a full pass", () => {
  beforeAll(async () => {
    await mon.checkAll();
  }, 30_000);

  test("the overview lists the dead instance first, with its failing HTTP check", async () => {
    const { res, html } = await t.admin.page("/p/health/");
    expect(res.status).toBe(200);
    // The table, not the menu (which lists instances by name).
    const table = html.slice(html.indexOf('id="health-overview"'));
    expect(table.indexOf(">acme-down")).toBeGreaterThan(0);
    expect(table.indexOf(">acme-down")).toBeLessThan(table.indexOf(">acme-prod"));
    expect(html).toMatch(/data-check="http"[\s\S]*?refused/i);
    expect(html).toContain("Mail exceptions</strong>: 8 mails in exception");
    // Within an instance, the worst checks come first: no Odoo process (critical) before the
    // mail exceptions (warning).
    const at = table.indexOf(`/p/health/i/${inst.id}/">acme-prod`);
    const prodRow = table.slice(at, table.indexOf("</tr>", at));
    expect(prodRow).toContain('data-check="odoo_processes"');
    expect(prodRow.indexOf('data-check="odoo_processes"')).toBeLessThan(
      prodRow.indexOf('data-check="mail_exceptions"'),
    );
    expect(prodRow).toMatch(
      /data-status="critical".*?Odoo processes<\/strong>: no Odoo process found on local/s,
    );
  });

  test("the instance tab shows checks, uptime and SVG charts; answers without an Odoo process are downtime", async () => {
    await mon.checkInstance(inst);
    const { res, html } = await t.admin.page(`/p/health/i/${inst.id}/`);
    expect(res.status).toBe(200);
    // HTTP answered both runs, but no Odoo process of this instance was running: not up.
    expect(checkRow(html, "HTTP")).toContain('data-status="ok"');
    expect(checkRow(html, "Odoo processes")).toContain("no Odoo process found");
    expect(html).toContain("Uptime: 24 h <strong>0%</strong>");
    expect(html).toMatch(/<svg[^>]*aria-label="Response time" data-points="2"/);
    expect(html).toMatch(/<svg[^>]*aria-label="Disk free" data-points="2"/);
    expect(html).toContain("Mail exceptions");
  });

  test("a week of 10,000 results per chart renders as 300 points per chart, fast; uptime counts the outages", async () => {
    const id = await t.addLocalInstance({
      name: "acme-history",
      confPath: writeConf("history", db),
      dbName: db,
    });
    const now = Date.now();
    const rows = [];
    for (let i = 0; i < 10_000; i++) {
      const at = new Date(now - (10_000 - i) * 60_000).toISOString(); // one a minute, ~7 days
      const up = i % 100 !== 0; // 1% down
      rows.push({
        instanceId: id,
        check: "http",
        status: up ? ("ok" as const) : ("critical" as const),
        value: up ? 100 + (i % 50) : null,
        message: "",
        timedOut: false,
        at,
        durationMs: 1,
      });
      rows.push({
        instanceId: id,
        check: "disk",
        status: "ok" as const,
        value: 50 - i / 1000,
        message: "",
        timedOut: false,
        at,
        durationMs: 1,
      });
      rows.push({
        instanceId: id,
        check: "memory",
        status: "ok" as const,
        value: 60 + (i % 7),
        message: "",
        timedOut: false,
        at,
        durationMs: 1,
      });
    }
    for (let i = 0; i < rows.length; i += 2000) await mon.store.saveResults(rows.slice(i, i + 2000));
    const t0 = performance.now();
    const { res, html } = await t.admin.page(`/p/health/i/${id}/`);
    const ms = performance.now() - t0;
    expect(res.status).toBe(200);
    expect(html.match(/data-points="300"/g)).toHaveLength(3);
    expect(html).toContain("Uptime: 24 h <strong>99.");
    console.log(`health page with 3 charts of ~10,000 points each answered in ${ms.toFixed(0)} ms`);
  });

  test("a maintenance window is added through the form and audited", async () => {
    await t.admin.page(`/p/health/i/${inst.id}/`);
    const res = await t.admin.post(`/p/health/i/${inst.id}/maintenance`, {
      from: "2026-01-01T00:00",
      to: "2099-01-01T00:00",
      reason: "Odoo upgrade",
    });
    expect(res.status).toBe(303);
    const { html } = await t.admin.page(`/p/health/i/${inst.id}/`);
    expect(html).toContain("alerts are silenced");
    const bad = await t.admin.post(`/p/health/i/${inst.id}/maintenance`, {
      from: "2026-01-02T00:00",
      to: "2026-01-01T00:00",
      reason: "x",
    });
    expect(bad.status).toBe(400);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "health.maintenance.set")
      .execute();
    // The form runs health.maintenance.set: its executor records the refused window too.
    expect(audit.map((a) => a.result)).toEqual(["ok", "error"]);
    expect(audit.map((a) => JSON.parse(a.details ?? "{}").surface)).toEqual(["page", "page"]);
  });

  test("GET /api/v1/health/status summarises every instance", async () => {
    const { status, body } = await t.admin.getJson("/api/v1/health/status");
    expect(status).toBe(200);
    const [first, ...rest] = body.data.instances;
    expect(first).toMatchObject({ name: "acme-down", status: "critical" });
    const second = rest.find((x: any) => x.name === "acme-prod");
    expect(second.checks.find((c: any) => c.check === "mail_exceptions")).toMatchObject({
      status: "warning",
      value: 8,
    });
  });

  test("/metrics needs a token and parses as Prometheus text", async () => {
    expect((await t.anonymous().get("/api/v1/health/metrics")).status).toBe(401);
    const admin = await t.core.db
      .selectFrom("users")
      .select("id")
      .where("username", "=", "admin")
      .executeTakeFirstOrThrow();
    const { token } = await createToken(
      t.core.db,
      { id: Number(admin.id), role: "admin" },
      { name: "prometheus", role: "viewer" },
    );
    const res = await fetch(`${t.url}/api/v1/health/metrics`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    const fams = parsePrometheus(await res.text());
    const values = (name: string) =>
      Object.fromEntries(
        fams.find((f) => f.name === name)!.metrics.map((m) => [m.labels?.instance ?? "", Number(m.value)]),
      );
    expect(values("odoodeck_instance_up")).toEqual({ "acme-prod": 1, "acme-down": 0, "acme-history": 1 });
    expect(values("odoodeck_mail_exceptions")["acme-prod"]).toBe(8);
    expect(values("odoodeck_cron_overdue")["acme-prod"]).toBe(2);
    expect(values("odoodeck_cron_lag_seconds")["acme-prod"]).toBeGreaterThanOrEqual(10800);
    expect(values("odoodeck_backup_age_seconds")["acme-prod"]).toBeGreaterThan(7000);
    expect(values("odoodeck_disk_free_bytes")["acme-prod"]).toBeGreaterThan(0);
    expect(values("process_resident_memory_bytes")[""]).toBeGreaterThan(1e6);
    // No Odoo runs with these confs: zero processes, and no memory figure made up.
    expect(values("odoodeck_odoo_processes")).toMatchObject({ "acme-prod": 0, "acme-down": 0 });
    expect(fams.find((f) => f.name === "odoodeck_odoo_memory_rss_bytes")).toBeUndefined();
    expect(fams.find((f) => f.name === "odoodeck_heap_used_bytes")).toBeDefined();
  });

  test("the CLI prints every instance and exits 2 when one is critical", async () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(" "));
    let code: unknown;
    try {
      code = await health.cli![0].run(["--no-run"], ctx);
    } finally {
      console.log = orig;
    }
    expect(code).toBe(2);
    expect(lines[0]).toMatch(/^CRITICAL +acme-down/);
    expect(lines.some((l) => /WARNING|CRITICAL/.test(l) && l.includes("acme-prod"))).toBe(true);
    expect(lines.some((l) => l.includes("Mail exceptions: 8 mails in exception"))).toBe(true);
  });
});

describe("state and message agree on the instance tab", () => {
  test("a failure that has not yet changed the state, then a recovery that has not either", async () => {
    const state = { down: false };
    const web = fake.healthyOdoo(state);
    try {
      const id = await t.addLocalInstance({
        name: "acme-flaky",
        confPath: writeConf("flaky", db),
        dbName: db,
      });
      await t.core.db.updateTable("instances").set({ public_url: web.url }).where("id", "=", id).execute();
      const flaky = await ctx.instances.get(id);
      await mon.checkInstance(flaky);
      state.down = true;
      await mon.checkInstance(flaky);
      let row = text(checkRow((await t.admin.page(`/p/health/i/${id}/`)).html, "HTTP"));
      // Before: "ok" beside "/web/health answered HTTP 500".
      expect(row).toMatch(
        /^ok HTTP critical critical after 3 failures in a row: 1 of 3 \(last result: \/web\/health answered HTTP 500\)/,
      );
      await mon.checkInstance(flaky);
      await mon.checkInstance(flaky);
      state.down = false;
      await mon.checkInstance(flaky);
      row = text(checkRow((await t.admin.page(`/p/health/i/${id}/`)).html, "HTTP"));
      // Before: "critical" beside a result "ok" and its "answered HTTP 200" message.
      expect(row).toMatch(
        new RegExp(
          `^critical HTTP ok ok after 3 good results in a row: 1 of 3 \\(last result: /web/health answered HTTP 200 in \\d+ ms; serves database ${db}\\)`,
        ),
      );
      const overview = (await t.admin.page("/p/health/")).html;
      expect(overview).toContain("<strong>HTTP</strong>: ok after 3 good results in a row: 1 of 3");
    } finally {
      web.stop();
    }
  }, 60_000);
});
