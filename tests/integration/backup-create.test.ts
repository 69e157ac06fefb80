import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { TestApp } from "../helpers/app.ts";
import { addAcmeInstance, sh, sha256File, startBackupApp } from "./backup-helpers.ts";

let t: TestApp & { dir: string };
let inst: Awaited<ReturnType<typeof addAcmeInstance>>;
let backupsDir: string;

beforeAll(async () => {
  t = await startBackupApp();
  inst = await addAcmeInstance(t, "acme");
  backupsDir = join(t.dataDir, "backups");
}, 60_000);
afterAll(() => t?.stop());

const create = (id: number, body: Record<string, unknown>) =>
  t.admin.postJson(`/api/v1/backup/instances/${id}/backups`, { wait: true, ...body });

describe("backup create", () => {
  test("a full native backup of acme_prod: manifest facts, checksums of the parts, nothing partial", async () => {
    const { status, body } = await create(inst.id, {
      scope: "full",
      format: "native",
      destinations: "local",
    });
    expect(status).toBe(200);
    const b = body.data.backup;
    expect(b.status).toBe("ok");
    expect(b.name).toMatch(/^acme_.+_\d{8}T\d{6}Z_full\.odoodeck$/);
    const m = b.manifest;
    expect(m.format).toBe("odoodeck-backup");
    expect(m.odoo.modules.length).toBe(39);
    expect(m.odoo.modules).toContain("crm");
    expect(m.odoo.version).toBe("17.0.1.3");
    expect(m.counts).toEqual({ res_users: 8, res_partner: 101, ir_attachment_stored: 228 });
    expect(m.filestore.files).toBe(91);
    expect(m.filestore.bytes).toBe(1230318);
    const folder = join(backupsDir, b.name);
    expect(readdirSync(backupsDir)).toEqual([b.name]);
    expect(readdirSync(folder).sort()).toEqual(["db.dump.zst", "filestore.tar.zst", "manifest.json"]);
    for (const p of m.parts) {
      expect(await sha256File(join(folder, p.name))).toBe(p.sha256);
      expect(Bun.file(join(folder, p.name)).size).toBe(p.bytes);
    }
    expect(JSON.parse(await Bun.file(join(folder, "manifest.json")).text())).toEqual(m);
    // The parts are what they claim: a pg_dump archive and the filestore's 91 files.
    const list = await sh([
      "sh",
      "-c",
      'zstd -dc "$1" | pg_restore -l | grep -c "TABLE DATA public res_partner "',
      "x",
      join(folder, "db.dump.zst"),
    ]);
    expect(list.out.trim()).toBe("1");
    const files = await sh([
      "sh",
      "-c",
      'zstd -dc "$1" | tar -tf - | grep -cv "/$"',
      "x",
      join(folder, "filestore.tar.zst"),
    ]);
    expect(files.out.trim()).toBe("91");
    expect(b.destinations[0]).toMatchObject({ id: "local", status: "ok", verify: "verified" });
  }, 60_000);

  test("an Odoo zip holds dump.sql, the 91 filestore files and Odoo's manifest", async () => {
    const { body } = await create(inst.id, { scope: "full", format: "zip", destinations: "local" });
    const b = body.data.backup;
    expect(b.status).toBe("ok");
    const zip = join(backupsDir, b.name);
    expect(await sha256File(zip)).toBe(b.manifest.parts[0].sha256);
    const names = (await sh(["unzip", "-Z1", zip])).out.trim().split("\n");
    expect(names).toContain("dump.sql");
    expect(names).toContain("manifest.json");
    expect(names.filter((n) => n.startsWith("filestore/") && !n.endsWith("/")).length).toBe(91);
    const om = JSON.parse((await sh(["unzip", "-p", zip, "manifest.json"])).out);
    expect(om.odoo_dump).toBe("1");
    expect(om.major_version).toBe("17.0");
    expect(om.pg_version).toBe("15.0");
    expect(Object.keys(om.modules).length).toBe(39);
    expect(om.modules.base).toBe("17.0.1.3");
    const sql = (
      await sh(["sh", "-c", 'unzip -p "$1" dump.sql | grep -c "^COPY public.res_partner "', "x", zip])
    ).out.trim();
    expect(sql).toBe("1");
    const tested = await sh(["unzip", "-tq", zip]);
    expect(tested.code).toBe(0);
  }, 60_000);

  test("verify finds a corrupted part", async () => {
    const { body } = await create(inst.id, { scope: "db", destinations: "local" });
    const b = body.data.backup;
    const ok = await t.admin.postJson(`/api/v1/backup/backups/${b.id}/verify`, { wait: true });
    expect(ok.body.data.backup.destinations[0].verify).toBe("verified");
    const part = join(backupsDir, b.name, "db.dump.zst");
    const bytes = new Uint8Array(await Bun.file(part).arrayBuffer());
    bytes[Math.floor(bytes.length / 2)] ^= 0xff; // same size, one flipped byte
    await Bun.write(part, bytes);
    const bad = await t.admin.postJson(`/api/v1/backup/backups/${b.id}/verify`, { wait: true });
    const d = bad.body.data.backup.destinations[0];
    expect(d.verify).toBe("corrupt");
    expect(d.verifyError).toContain("SHA-256");
    const { html } = await t.admin.page(`/p/backup/i/${inst.id}/backups`);
    expect(html).toContain("corrupt");
  }, 60_000);

  test("the page, the API and REST /ops refuse a viewer alike; the page runs backup.create", async () => {
    const viewer = await t.client("viewer");
    await viewer.page(`/p/backup/i/${inst.id}/backups`);
    const page = await viewer.post(`/p/backup/i/${inst.id}/backups`, { scope: "db", destinations: "local" });
    const api = await viewer.postJson(`/api/v1/backup/instances/${inst.id}/backups`, { scope: "db" });
    const ops = await viewer.postJson("/api/v1/ops/backup.create", { instance: inst.id, scope: "db" });
    expect([page.status, api.status, ops.status]).toEqual([403, 403, 403]);
    expect(api.body.error).toMatchObject({ code: "E_FORBIDDEN", message: ops.body.error.message });
    const verifyPage = await viewer.post(`/p/backup/backups/1/verify`);
    const verifyOps = await viewer.postJson("/api/v1/ops/backup.verify", { backup: 1 });
    expect([verifyPage.status, verifyOps.status]).toEqual([403, 403]);
    // The form starts backup.create and is audited by its executor, as from the page.
    await t.admin.page(`/p/backup/i/${inst.id}/backups`);
    const res = await t.admin.post(`/p/backup/i/${inst.id}/backups`, { scope: "db", destinations: "local" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/operations\/[0-9a-f-]+$/);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["result", "details"])
      .where("action", "=", "backup.create")
      .execute();
    const surfaces = audit.map((a) => `${JSON.parse(a.details ?? "{}").surface}:${a.result}`);
    expect(surfaces).toContain("page:ok");
    expect(surfaces).toContain("page:error");
    const opId = res.headers.get("location")!.split("/").pop();
    for (let i = 0; i < 600; i++) {
      const { body } = await t.admin.getJson(`/api/v1/operations/${opId}`);
      if (body.data.status !== "running") break;
      await Bun.sleep(50);
    }
  }, 60_000);

  test("the schedule form runs backup.schedule.set: the default daily schedule, kept if there; a viewer is refused alike", async () => {
    const schedules = () =>
      t.core.scheduler.listSchedules().then((l) => l.filter((x) => x.instance_id === inst.id));
    const viewer = await t.client("viewer");
    await viewer.page(`/p/backup/i/${inst.id}/backups`);
    const page = await viewer.post(`/p/backup/i/${inst.id}/schedule`);
    const ops = await viewer.postJson("/api/v1/ops/backup.schedule.set", { instance: inst.id });
    expect([page.status, ops.status]).toEqual([403, 403]);
    expect(ops.body.error.code).toBe("E_FORBIDDEN");
    expect(await schedules()).toEqual([]);
    const { html } = await t.admin.page(`/p/backup/i/${inst.id}/backups`);
    expect(html).toContain("not scheduled");
    const res = await t.admin.post(`/p/backup/i/${inst.id}/schedule`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/p/backup/i/${inst.id}/backups`);
    expect(await schedules()).toMatchObject([{ job: "backup.backup.scheduled", cron: "0 2 * * *" }]);
    await t.admin.post(`/p/backup/i/${inst.id}/schedule`); // kept as it is
    const changed = await t.admin.postJson("/api/v1/ops/backup.schedule.set", {
      instance: inst.id,
      cron: "30 1 * * *",
    });
    expect(changed.body.data).toMatchObject({ created: true, schedule: { cron: "30 1 * * *" } });
    const left = await schedules();
    expect(left.map((x) => x.cron)).toEqual(["30 1 * * *"]);
    expect(JSON.parse(left[0].params)).toEqual({ scope: "full", format: "native", prune: true });
    for (const x of left) await t.core.scheduler.removeSchedule(x.id);
  }, 60_000);

  test("the Backups page lists backups with size and status, and the download streams the zip", async () => {
    const { res, html } = await t.admin.page(`/p/backup/i/${inst.id}/backups`);
    expect(res.status).toBe(200);
    expect(html).toContain("Back up now");
    expect(html).toContain("_full.odoodeck");
    expect(html).toContain("verified");
    const list = await t.admin.getJson(`/api/v1/backup/instances/${inst.id}/backups`);
    const zip = list.body.data.backups.find((b: any) => b.format === "zip");
    const dl = await t.admin.get(`/p/backup/backups/${zip.id}/download`);
    expect(dl.status).toBe(200);
    const got = new Uint8Array(await dl.arrayBuffer());
    expect(got.length).toBe(zip.bytes);
    expect(new Bun.CryptoHasher("sha256").update(got).digest("hex")).toBe(zip.manifest.parts[0].sha256);
    const native = list.body.data.backups.find((b: any) => b.format === "native" && b.scope === "full");
    const tarRes = await t.admin.get(`/api/v1/backup/backups/${native.id}/download`);
    const tarPath = join(t.dir, "dl.tar");
    await Bun.write(tarPath, tarRes);
    const listed = (await sh(["tar", "-tf", tarPath])).out.trim().split("\n").sort();
    expect(listed).toEqual(
      [
        `${native.name}/db.dump.zst`,
        `${native.name}/filestore.tar.zst`,
        `${native.name}/manifest.json`,
      ].sort(),
    );
  }, 60_000);
});
