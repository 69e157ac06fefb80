/**
 * Automatic restore tests on the acme_prod fixture: a real backup restored into a scratch
 * database on the test cluster, checked and dropped; a missing attachment file and a corrupt
 * archive fail with the reason named; the card, the page, the schedule form, the webhook
 * notification and the health plugin's restore-test age all show it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import healthPlugin from "../../plugins/health/index.ts";
import backupPlugin from "../../plugins/backup/index.ts";
import { backupCli } from "../../plugins/backup/cli.ts";
import type { PluginContext } from "../../server/sdk/index.ts";
import notifications from "../../plugins/notifications/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import { addAcmeInstance, setBackupSettings } from "./backup-helpers.ts";
import { wholeStore } from "../helpers/store.ts";

let t: TestApp & { dir: string };
let inst: Awaited<ReturnType<typeof addAcmeInstance>>;
let other: Awaited<ReturnType<typeof addAcmeInstance>>;

const hits: Array<{ path: string; body: any }> = [];
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    hits.push({ path: new URL(req.url).pathname, body: JSON.parse(await req.text()) });
    return new Response("ok");
  },
});

beforeAll(async () => {
  t = Object.assign(await startTestApp({ plugins: [backupPlugin, healthPlugin, notifications] }), {
    dir: mkdtempSync(join(tmpdir(), "odoodeck-rt-")),
  });
  inst = await addAcmeInstance(t, "acme");
  other = await addAcmeInstance(t, "acme-other");
  await setBackupSettings(t, { localDir: join(t.dir, "backups") });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  receiver.stop(true);
});

const backup = async (scope = "full") => {
  const r = await t.admin.postJson(`/api/v1/backup/instances/${inst.id}/backups`, {
    wait: true,
    scope,
    destinations: "local",
  });
  expect(r.body.data.backup.status).toBe("ok");
  return r.body.data.backup;
};
const restoreTest = async (body: Record<string, unknown> = {}) => {
  const r = await t.admin.postJson(`/api/v1/backup/i/${inst.id}/restore-tests`, { wait: true, ...body });
  expect(r.status).toBe(200);
  return r.body.data.test;
};
const check = (test: any, name: string) => test.checks.find((c: any) => c.name === name);
/** Databases and filestore folders a restore test could have left behind. */
async function leftovers() {
  const pg = await getPg();
  const dbs = (
    await pg.psql("postgres", "SELECT datname FROM pg_database WHERE datname LIKE 'odoodeck_rt_%'")
  )
    .split("\n")
    .filter(Boolean);
  const dirs = [inst.data, other.data].flatMap((d) =>
    readdirSync(join(d, "filestore")).filter((n) => n.includes("odoodeck_rt_")),
  );
  return [...dbs, ...dirs];
}
const psql = async (db: string, sql: string) => (await getPg()).psql(db, sql).then((s) => s.trim());

describe("restore tests", () => {
  test("without any backup a restore test fails and says why", async () => {
    const r = await restoreTest();
    expect(r.status).toBe("failed");
    expect(r.errorCode).toBe("E_NOT_FOUND");
    expect(r.error).toContain("no successful backup with a database");
  }, 60_000);

  test("the latest backup restores into a scratch database, passes every check, and is dropped", async () => {
    const b = await backup();
    const r = await restoreTest();
    expect(r.status).toBe("ok");
    expect(r.backupName).toBe(b.name);
    expect(r.checks.map((c: any) => [c.name, c.status])).toEqual([
      ["restore", "ok"],
      ["neutralize", "ok"],
      ["counts", "ok"],
      ["attachments", "ok"],
      ["modules", "ok"],
      ["odoo", "skipped"],
      ["cleanup", "ok"],
    ]);
    expect(r.scratchDb).toMatch(new RegExp(`^odoodeck_rt_${inst.id}__restore_\\d{14}$`));
    expect(check(r, "restore").message).toContain(`${b.name} restored into ${r.scratchDb} on acme in`);
    expect(check(r, "counts").message).toBe("users 8, partners 101, stored attachments 228: as recorded");
    expect(check(r, "attachments").message).toBe(
      "228 attachment rows, 91 files: all present, 91 SHA-1 verified",
    );
    expect(check(r, "attachments").details).toMatchObject({ rows: 228, files: 91, hashed: 91, missing: [] });
    expect(check(r, "modules").message).toBe("39 installed modules, as recorded");
    expect(check(r, "odoo").message).toStartWith("skipped: odoo-bin not found");
    expect(check(r, "cleanup").message).toBe(`scratch database ${r.scratchDb} and its filestore dropped`);
    expect(r.restoreSeconds).toBeGreaterThan(0);
    expect(r.totalSeconds).toBeGreaterThanOrEqual(r.restoreSeconds);
    console.log(
      `restore test timings on acme_prod: restore ${r.restoreSeconds} s, total ${r.totalSeconds} s, checks ${r.checks.map((c: any) => `${c.name}=${c.seconds}s`).join(" ")}`,
    );
    expect(await leftovers()).toEqual([]);
    // The live database was never touched: its mail server is still active, its crons still on.
    expect(await psql(inst.db, "SELECT count(*) FROM ir_mail_server WHERE active")).toBe("1");
    expect(await psql(inst.db, "SELECT count(*) FROM ir_cron WHERE active")).toBe("15");
    // The operation is a finished, lock-free backup.restore-test with every step accounted for.
    const op = (await t.admin.getJson(`/api/v1/operations/${r.operationId}`)).body.data;
    expect(op.kind).toBe("backup.restore-test");
    expect(op.status).toBe("ok");
    expect(op.steps.map((s: any) => [s.name, s.status])).toEqual([
      ["pick the latest backup", "ok"],
      ["fetch the backup", "skipped"],
      ["remove leftovers of interrupted runs", "ok"],
      ["restore into a scratch database", "ok"],
      ["neutralize", "ok"],
      ["check", "ok"],
      ["drop the scratch copy", "ok"],
    ]);
  }, 120_000);

  test("the card, the page, the backup.status service and the health check show the verified restore", async () => {
    const last = (await t.admin.getJson(`/api/v1/backup/i/${inst.id}/restore-tests`)).body.data;
    const ok = last.tests.find((x: any) => x.status === "ok");
    expect(last.lastVerifiedRestore).toMatchObject({
      testId: ok.id,
      backupName: ok.backupName,
      seconds: ok.restoreSeconds,
    });
    const { html } = await t.admin.page("/");
    expect(html).toContain("Last verified restore:");
    expect(html).toMatch(
      /Last verified restore:.*?seconds? ago.*?backup <code>acme_.*?_full\.odoodeck<\/code>,\s*restored in [\d.]+ s/s,
    );
    const page = (await t.admin.page(`/p/backup/i/${inst.id}/restore-tests`)).html;
    expect(page).toContain("Run restore test");
    expect(page).toContain('data-check="attachments" data-status="ok"');
    expect(page).toContain("228 attachment rows, 91 files: all present, 91 SHA-1 verified");
    const ctx = t.core.host.records.find((r) => r.id === "backup")!.ctx as PluginContext;
    const status = ctx.services.get<{ lastVerifiedRestore(id: number): Promise<any> }>("backup.status")!;
    expect(await status.lastVerifiedRestore(inst.id)).toMatchObject({
      backupName: ok.backupName,
      at: ok.finishedAt,
    });
    expect(await status.lastVerifiedRestore(other.id)).toBeNull();
    const health = await t.admin.postJson(`/api/v1/health/i/${inst.id}/check`, {});
    const age = health.body.data.results.find((x: any) => x.check === "restore_test_age");
    expect(age.status).toBe("ok");
    expect(age.message).toMatch(/^last verified restore 0 h ago/);
    const metrics = await (await t.admin.get("/api/v1/health/metrics")).text();
    expect(metrics).toMatch(/odoodeck_restore_test_age_seconds\{[^}]*instance="acme"[^}]*\} \d+/);
  }, 60_000);

  test("a restore test on another instance makes its scratch copy there and leaves nothing", async () => {
    const r = await restoreTest({ target: other.id });
    expect(r.status).toBe("ok");
    expect(r.targetInstanceId).toBe(other.id);
    expect(check(r, "restore").message).toContain("on acme-other in");
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  test("an attachment file missing from the backup fails the test, names it, and notifies", async () => {
    await t.admin.page("/p/notifications");
    await t.admin.post("/p/notifications/channels", {
      name: "rt-hook",
      kind: "webhook",
      url: `${receiver.url}rt`,
    });
    const ch = await wholeStore(t.core.db)
      .selectFrom("notifications_channels")
      .select("id")
      .where("name", "=", "rt-hook")
      .executeTakeFirstOrThrow();
    await t.admin.page("/p/notifications");
    const rule = await t.admin.post("/p/notifications/rules", {
      event: "backup.restore_test",
      status: "failed",
      channelId: String(ch.id),
    });
    expect(await rule.text()).toContain("Rule added.");
    // Take one attachment's file away from the live filestore, then back up.
    const fname = await psql(
      inst.db,
      "SELECT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY id LIMIT 1",
    );
    const aside = join(t.dir, "aside");
    renameSync(join(inst.filestore, fname), aside);
    try {
      await backup();
    } finally {
      renameSync(aside, join(inst.filestore, fname));
    }
    const r = await restoreTest();
    expect(r.status).toBe("failed");
    expect(r.errorCode).toBe("E_BACKUP_CORRUPT");
    const a = check(r, "attachments");
    expect(a.status).toBe("failed");
    expect(a.message).toContain(`1 missing: ${fname}`);
    expect(a.details.missing).toEqual([fname]);
    expect(check(r, "counts").status).toBe("ok");
    expect(check(r, "cleanup").status).toBe("ok");
    expect(r.error).toContain(fname);
    expect(await leftovers()).toEqual([]);
    const hit = await (async () => {
      for (let i = 0; i < 200; i++) {
        const h = hits.find((x) => x.path === "/rt");
        if (h) return h;
        await Bun.sleep(25);
      }
      throw new Error("no webhook delivery");
    })();
    expect(hit.body.event).toBe("backup.restore_test");
    expect(hit.body.payload).toMatchObject({
      status: "failed",
      instanceId: inst.id,
      testId: r.id,
      failedChecks: ["attachments"],
    });
    expect(hit.body.payload.summary).toContain(fname);
    // The card says it failed and why; the last verified restore is still the earlier one.
    const { html } = await t.admin.page("/");
    expect(html).toContain("FAILED");
    expect(html).toContain(fname);
    const ok = (await t.admin.getJson(`/api/v1/backup/i/${inst.id}/restore-tests`)).body.data
      .lastVerifiedRestore;
    expect(ok.testId).toBeLessThan(r.id);
  }, 120_000);

  test("a file whose content changed and a store_fname outside the filestore are named too", async () => {
    const [row, other2] = (
      await psql(
        inst.db,
        "SELECT id || ' ' || store_fname FROM (SELECT DISTINCT ON (store_fname) id, store_fname FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY store_fname, id) x ORDER BY id LIMIT 2",
      )
    )
      .split("\n")
      .map((l) => l.split(" "));
    const changed = join(inst.filestore, row[1]);
    const original = await Bun.file(changed).arrayBuffer();
    await Bun.write(changed, "not what the checksum says");
    await psql(inst.db, `UPDATE ir_attachment SET store_fname = '../../escape' WHERE id = ${other2[0]}`);
    try {
      await backup();
    } finally {
      await Bun.write(changed, original);
      await psql(inst.db, `UPDATE ir_attachment SET store_fname = '${other2[1]}' WHERE id = ${other2[0]}`);
    }
    const r = await restoreTest();
    expect(r.status).toBe("failed");
    const a = check(r, "attachments");
    expect(a.message).toContain(`1 with another SHA-1 than their checksum: ${row[1]}`);
    expect(a.message).toContain("1 store_fname outside the filestore: ../../escape");
    expect(a.details.mismatched).toEqual([
      {
        file: row[1],
        expected: row[1].split("/")[1],
        actual: new Bun.CryptoHasher("sha1").update("not what the checksum says").digest("hex"),
      },
    ]);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  test("a corrupt archive fails with E_BACKUP_CORRUPT before any scratch database exists", async () => {
    const b = await backup("db");
    const part = join(t.dir, "backups", b.name, "db.dump.zst");
    const bytes = new Uint8Array(await Bun.file(part).arrayBuffer());
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await Bun.write(part, bytes);
    const r = await restoreTest();
    expect(r.status).toBe("failed");
    expect(r.errorCode).toBe("E_BACKUP_CORRUPT");
    expect(check(r, "restore")).toMatchObject({ status: "failed" });
    expect(check(r, "restore").message).toContain("does not match its SHA-256");
    expect(r.scratchDb).toBeNull();
    expect(await leftovers()).toEqual([]);
    const op = (await t.admin.getJson(`/api/v1/operations/${r.operationId}`)).body.data;
    expect(op.status).toBe("error");
    expect(op.error.code).toBe("E_BACKUP_CORRUPT");
  }, 120_000);

  test("cancelling a running restore test drops what it had made", async () => {
    await backup();
    const start = await t.admin.postJson(`/api/v1/backup/i/${inst.id}/restore-tests`, {});
    const opId = start.body.data.operationId;
    for (let i = 0; i < 500; i++) {
      const op = t.core.operations.get(opId);
      if (op?.steps.find((s) => s.name === "restore into a scratch database")?.status === "running") break;
      await Bun.sleep(10);
    }
    await t.admin.page(`/operations/${opId}`);
    await t.admin.post(`/operations/${opId}/cancel`);
    let rec: any;
    for (let i = 0; i < 600; i++) {
      rec = (await t.admin.getJson(`/api/v1/backup/restore-tests/${start.body.data.testId}`)).body.data.test;
      if (rec.status !== "running") break;
      await Bun.sleep(50);
    }
    expect(rec.status).toBe("cancelled");
    expect(await leftovers()).toEqual([]);
  }, 120_000);
});

describe("schedule, permissions, CLI", () => {
  test("the schedule form (CSRF) saves one schedule per instance with its target; a bad cron is refused", async () => {
    await t.admin.page(`/p/backup/i/${inst.id}/restore-tests`);
    const noCsrf = await t.admin.request("POST", `/p/backup/i/${inst.id}/restore-tests/schedule`, {
      body: new URLSearchParams({ cron: "15 4 * * *", target: String(other.id) }),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      noCsrf: true,
    });
    expect(noCsrf.status).toBe(403);
    const bad = await t.admin.post(`/p/backup/i/${inst.id}/restore-tests/schedule`, {
      cron: "61 * * * *",
      timezone: "UTC",
      target: "",
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("Invalid schedule");
    const res = await t.admin.post(`/p/backup/i/${inst.id}/restore-tests/schedule`, {
      cron: "15 4 * * *",
      timezone: "UTC",
      target: String(other.id),
    });
    expect(res.status).toBe(303);
    await t.admin.post(`/p/backup/i/${inst.id}/restore-tests/schedule`, {
      cron: "20 4 * * *",
      timezone: "UTC",
      target: String(other.id),
    });
    const { html } = await t.admin.page(`/p/backup/i/${inst.id}/restore-tests?saved=1`);
    expect(html).toContain("Schedule saved.");
    expect(html).toContain("every day at 04:20");
    const rows = (await t.core.scheduler.listSchedules()).filter((s) => s.job === "backup.restore-test");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ instance_id: inst.id, cron: "20 4 * * *" });
    expect(JSON.parse(rows[0].params)).toEqual({ target: other.id });
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "like", "backup.restore-test%")
      .execute();
    expect(audit.filter((a) => a.action === "backup.restore-test.schedule").length).toBe(3); // bad + two saved
    // Run now is the operation backup.restore-test: one audit entry, named after it.
    expect(audit.some((a) => a.action === "backup.restore-test" && a.actor === "admin")).toBe(true);
    // The scheduler runs it like any job: a record with trigger "schedule" on the chosen target.
    const run = await t.core.scheduler.run(rows[0].id, "manual");
    expect(run.status).toBe("ok");
    expect(run.summary).toMatch(/restored in [\d.]+ s; 6 checks passed, 1 skipped/);
    const latest = (await t.admin.getJson(`/api/v1/backup/i/${inst.id}/restore-tests`)).body.data.tests[0];
    expect(latest).toMatchObject({
      trigger: "schedule",
      actor: "scheduler",
      status: "ok",
      targetInstanceId: other.id,
    });
    // A plugin sees and removes only the schedules of its own jobs.
    const health = await t.core.scheduler.addSchedule({
      job: "health.check",
      instanceId: inst.id,
      cron: "* * * * *",
    });
    const ctx = t.core.host.records.find((r) => r.id === "backup")!.ctx as PluginContext;
    expect((await ctx.jobs.schedules()).map((s) => [s.job, s.instanceId, s.params])).toEqual([
      ["restore-test", inst.id, { target: other.id }],
    ]);
    expect(await ctx.jobs.unschedule(health.id).catch((e) => e.code)).toBe("E_NOT_FOUND");
    await t.core.scheduler.removeSchedule(health.id);
    const del = await t.admin.post(`/p/backup/i/${inst.id}/restore-tests/schedule/delete`, {});
    expect(del.status).toBe(303);
    expect((await t.core.scheduler.listSchedules()).filter((s) => s.job === "backup.restore-test")).toEqual(
      [],
    );
  }, 120_000);

  test("a viewer sees the history but cannot run or schedule", async () => {
    const viewer = await t.client("viewer");
    const { res, html } = await viewer.page(`/p/backup/i/${inst.id}/restore-tests`);
    expect(res.status).toBe(200);
    expect(html).toContain("History");
    expect(html).not.toContain("Run restore test");
    const run = await viewer.postJson(`/api/v1/backup/i/${inst.id}/restore-tests`, {});
    expect(run.status).toBe(403);
    const sched = await viewer.request("PUT", `/api/v1/backup/i/${inst.id}/restore-tests/schedule`, {
      json: { cron: "0 1 * * *" },
    });
    expect(sched.status).toBe(403);
  });

  test("odoodeck backup restore-test prints one line per check", async () => {
    const ctx = t.core.host.records.find((r) => r.id === "backup")!.ctx as PluginContext;
    const cmd = backupCli.find((c) => c.name === "backup restore-test")!;
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(" "));
    try {
      expect(await cmd.run(["acme"], ctx)).toBe(0);
    } finally {
      console.log = log;
    }
    expect(lines).toContain(
      "pass\tattachments\t228 attachment rows, 91 files: all present, 91 SHA-1 verified",
    );
    expect(lines.some((l) => l.startsWith("skip\todoo\tskipped: odoo-bin not found"))).toBe(true);
    expect(lines.at(-1)).toMatch(/^ok\tacme_.*_full\.odoodeck\trestore [\d.]+ s\ttotal [\d.]+ s$/);
    expect(await leftovers()).toEqual([]);
  }, 120_000);
});
