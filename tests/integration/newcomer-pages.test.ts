/** Issue 16, server side: production backed up by default, jobs named, restore by picking. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import type { TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import { addAcmeInstance, startBackupApp } from "./backup-helpers.ts";

let t: TestApp & { dir: string };
let staging: Awaited<ReturnType<typeof addAcmeInstance>>;
let prod: Awaited<ReturnType<typeof addAcmeInstance>>;

beforeAll(async () => {
  t = await startBackupApp();
  prod = await addAcmeInstance(t, "prod");
  staging = await addAcmeInstance(t, "staging");
}, 120_000);

afterAll(async () => {
  await t?.stop();
  rmSync(t.dir, { recursive: true, force: true });
});

async function schedulesOf(instanceId: number) {
  return (await t.core.scheduler.listSchedules()).filter((s) => s.instance_id === instanceId);
}

/** The schedule is made by an event handler: give it a moment. */
async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let v = await fn();
  for (let i = 0; i < 100 && !ok(v); i++) {
    await Bun.sleep(50);
    v = await fn();
  }
  return v;
}

describe("production is backed up by default", () => {
  test("adding a production instance schedules a daily backup; a non-production one gets none", async () => {
    const conf = (await t.core.registry.instanceRow(prod.id)).conf_path;
    const add = async (name: string, production: boolean) => {
      await t.admin.page("/instances");
      const res = await t.admin.post("/instances/new", {
        name,
        serverId: "1",
        confPath: conf,
        ...(production ? { production: "on" } : {}),
      });
      expect(res.status).toBe(303);
      return Number(/\/instances\/(\d+)$/.exec(res.headers.get("Location")!)![1]);
    };
    const p = await add("prod-added", true);
    const [s] = await eventually(
      () => schedulesOf(p),
      (x) => x.length > 0,
    );
    expect(s).toMatchObject({ job: "backup.backup.scheduled", cron: "0 2 * * *", enabled: 1 });
    expect(JSON.parse(s.params)).toMatchObject({ prune: true });

    const n = await add("test-added", false);
    await Bun.sleep(300);
    expect(await schedulesOf(n)).toEqual([]);

    // Marked production later: scheduled then.
    await t.admin.page(`/instances/${n}`);
    const edit = await t.admin.post(`/instances/${n}`, {
      name: "test-added",
      serverId: "1",
      confPath: conf,
      production: "on",
    });
    expect(edit.status).toBe(303);
    expect(
      await eventually(
        () => schedulesOf(n),
        (x) => x.length === 1,
      ),
    ).toHaveLength(1);

    // The Backups tab shows it, with its next run and where it goes; Jobs names it.
    const { html } = await t.admin.page(`/p/backup/i/${p}/backups`);
    expect(html).toMatch(/<dt>Runs<\/dt><dd>every day at 02:00 \(UTC\)/);
    expect(html).toMatch(/<dt>Next run<\/dt><dd><time [^>]*>in \d+ (minute|hour)s?<\/time>/);
    expect(html).toContain("<dt>Goes to</dt><dd>This machine");
    expect(html).toContain("Last verified restore:");
    const jobs = (await t.admin.page("/jobs")).html;
    expect(jobs).toContain('<strong title="backup.backup.scheduled">Scheduled backup</strong>');
    expect(jobs).toContain("scope full · format native · prune true");
    expect(jobs).not.toContain("<code>backup.backup.scheduled</code>");
  }, 60_000);
});

describe("first run", () => {
  test("a local server shows no SSH settings; discovery always offers 'add manually' with a path field", async () => {
    const { html } = await t.admin.page("/servers/1");
    expect(html).toContain("this machine (no SSH)");
    expect(html).not.toContain("host key");
    const found = await t.admin.page("/servers/1/discover");
    expect(found.html).toContain('id="add-manually"');
    expect(found.html).toMatch(
      /<form action="\/instances" method="get"[^>]*><input type="hidden" name="server" value="1"\/><input name="confPath"/,
    );
    // The filled form it leads to, named after the file.
    const form = await t.admin.page("/instances?server=1&confPath=%2Fsrv%2Fodoo%2Fodoo-acme.conf");
    expect(form.html).toContain('name="name" type="text" value="acme"');
    expect(form.html).toContain('name="confPath" type="text" value="/srv/odoo/odoo-acme.conf"');
  });
});

describe("restore by picking", () => {
  test("a backup of prod restored over another instance from the restore page: picked, swapped, neutralized", async () => {
    const b = await t.admin.postJson(`/api/v1/backup/instances/${prod.id}/backups`, { wait: true });
    expect(b.body.data.backup.status).toBe("ok");
    const backupId = b.body.data.backup.id as number;

    const page = await t.admin.page(`/p/backup/i/${prod.id}/restore?backup=${backupId}`);
    expect(page.html).toContain(`value="${backupId}" id="pick-${backupId}" checked`);
    expect(page.html).toContain(`value="other:${staging.id}" data-neutralize="on"`);

    // As the browser sends the form: the hidden "off" first, the ticked box's "on" after it.
    const body = new URLSearchParams([
      ["_csrf", t.admin.csrf!],
      ["backupId", String(backupId)],
      ["source", "/etc/passwd"], // ignored: a listed backup was picked
      ["target", `other:${staging.id}`],
      ["neutralize", "off"],
      ["neutralize", "on"],
      ["mode", "copy"],
    ]);
    const res = await t.admin.request("POST", `/p/backup/i/${prod.id}/restore`, {
      body,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(303);
    const opId = /\/operations\/(.+)$/.exec(res.headers.get("Location")!)![1];
    let op: any;
    for (;;) {
      op = (await t.admin.getJson(`/api/v1/operations/${opId}`)).body.data;
      if (op.status !== "running") break;
      await Bun.sleep(200);
    }
    expect({ status: op.status, error: op.error }).toEqual({ status: "ok", error: undefined });
    expect(op.instanceId).toBe(staging.id);
    expect(op.result).toMatchObject({ dbName: staging.db, neutralized: true });
    const pg = await getPg();
    expect((await pg.psql(staging.db, "SELECT count(*) FROM ir_cron WHERE active")).trim()).toBe("1");
    const { html } = await t.admin.page(`/operations/${opId}`);
    expect(html).toContain(`<dt>Database</dt><dd><code>${staging.db}</code></dd>`);
    expect(html).toContain(`href="/instances/${staging.id}">Open staging</a>`);
  }, 180_000);
});
