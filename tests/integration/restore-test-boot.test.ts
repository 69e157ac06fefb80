/**
 * A restore test boots Odoo on its scratch copy (managed runtime, stand-in odoo-bin): /web/health
 * answers, a user signs in, and the measured recovery (RTO = restore + boot until ready, RPO =
 * test time − backup time) is recorded and shown on the dashboard card and the Backups tab. An
 * instance whose backups were never restored within the window raises backup.restore_test_stale.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import notifications from "../../plugins/notifications/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { odooProcesses, STAND_IN_ODOO } from "../helpers/runtime.ts";
import { addAcmeInstance, setBackupSettings } from "./backup-helpers.ts";
import { wholeStore } from "../helpers/store.ts";

let t: TestApp & { dir: string };
let inst: Awaited<ReturnType<typeof addAcmeInstance>>;
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
  t = Object.assign(await startTestApp({ plugins: [backupPlugin, notifications] }), {
    dir: mkdtempSync(join(tmpdir(), "odoodeck-rtboot-")),
  });
  inst = await addAcmeInstance(t, "acme");
  await setBackupSettings(t, { localDir: join(t.dir, "backups"), restoreTestOdooBin: STAND_IN_ODOO });
}, 60_000);
afterAll(async () => {
  await t?.stop();
  receiver.stop(true);
});

const backup = async () => {
  const r = await t.admin.postJson(`/api/v1/backup/instances/${inst.id}/backups`, {
    wait: true,
    destinations: "local",
  });
  expect(r.body.data.backup.status).toBe("ok");
  return r.body.data.backup;
};
const runStaleJob = () =>
  t.core.scheduler.run(null, "manual", { job: "backup.backup.restore-test-stale", instanceId: null });

describe("restore tests boot Odoo and measure the recovery", () => {
  test("no alert while the first backup is younger than the window; then stale until a test passes", async () => {
    const b = await backup();
    expect((await runStaleJob()).summary).toBe("every backed-up instance has a recent passed restore test");
    await t.admin.page("/p/notifications");
    await t.admin.post("/p/notifications/channels", {
      name: "stale",
      kind: "webhook",
      url: `${receiver.url}s`,
    });
    const ch = await wholeStore(t.core.db)
      .selectFrom("notifications_channels")
      .select("id")
      .where("name", "=", "stale")
      .executeTakeFirstOrThrow();
    await t.admin.page("/p/notifications");
    const rule = await t.admin.post("/p/notifications/rules", {
      event: "backup.restore_test_stale",
      channelId: String(ch.id),
    });
    expect(await rule.text()).toContain("Rule added.");
    // the backup is 9 days old and was never restored: stale (the window is 8 days by default)
    const nineDaysAgo = new Date(Date.now() - 9 * 86_400_000).toISOString();
    await wholeStore(t.core.db)
      .updateTable("backup_backups")
      .set({ created_at: nineDaysAgo })
      .where("id", "=", b.id)
      .execute();
    expect((await runStaleJob()).summary).toBe("no passed restore test in 8 days: acme");
    for (let i = 0; i < 100 && !hits.some((h) => h.path === "/s"); i++) await Bun.sleep(50);
    const hit = hits.find((h) => h.path === "/s")!;
    expect(JSON.stringify(hit.body)).toContain('"instanceName":"acme"');
    expect(JSON.stringify(hit.body)).toContain('"lastOkAt":null');
  }, 120_000);

  test("Odoo boots on the scratch copy, answers /web/health, a user signs in; RTO and RPO are shown", async () => {
    const r = await t.admin.postJson(`/api/v1/backup/i/${inst.id}/restore-tests`, { wait: true });
    const rec = r.body.data.test;
    expect(rec.status).toBe("ok");
    // the scripts were compared with what the instance's odoo-bin prints for `neutralize --stdout`
    const neutral = rec.checks.find((c: any) => c.name === "neutralize");
    expect(neutral.details.report.join("\n")).toContain("[as Odoo] the scripts are exactly what");
    const odoo = rec.checks.find((c: any) => c.name === "odoo");
    expect(odoo.status).toBe("ok");
    expect(odoo.message).toMatch(
      /^Odoo served the copy after [\d.]+ s: \/web\/health answers, admin signed in$/,
    );
    const boot = odoo.details.bootSeconds;
    expect(boot).toBeGreaterThan(0.3); // the stand-in "loads the registry" for 300 ms
    expect(rec.rtoSeconds).toBeCloseTo(rec.restoreSeconds + boot, 1);
    // the backup was dated 9 days back: that is the data a recovery from it would miss
    expect(rec.rpoSeconds).toBeGreaterThan(9 * 86_400 - 5);
    expect(rec.rpoSeconds).toBeLessThan(9 * 86_400 + 600);
    // Odoo was stopped and its work folder removed; the scratch copy is gone as before
    expect(odooProcesses(join(inst.data, "odoodeck-rt"))).toEqual([]); // this instance's, not another run's
    expect(existsSync(join(inst.data, "odoodeck-rt", rec.scratchDb))).toBe(false);
    expect(rec.checks.find((c: any) => c.name === "cleanup").status).toBe("ok");
    const rto = `${(rec.rtoSeconds / 60).toFixed(1)} min`;
    const line = `RTO ${rto}, RPO ${(rec.rpoSeconds / 60).toFixed(1)} min`;
    expect((await t.admin.page("/")).html).toContain(line);
    expect((await t.admin.page(`/p/backup/i/${inst.id}/backups`)).html).toContain(line);
    const last = (await t.admin.getJson(`/api/v1/backup/i/${inst.id}/restore-tests`)).body.data;
    expect(last.lastVerifiedRestore).toMatchObject({
      rtoSeconds: rec.rtoSeconds,
      rpoSeconds: rec.rpoSeconds,
    });
    expect((await runStaleJob()).summary).toBe("every backed-up instance has a recent passed restore test");
  }, 180_000);
});
