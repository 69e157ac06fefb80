/**
 * Temporary copies left behind by an odoodeck that died mid-restore. A second odoodeck process on
 * the same data dir starts a restore test and a restore, and its whole process group is killed
 * with SIGKILL while both temporary databases exist (systemd's kill of the service, a power loss):
 * nothing of it gets to clean up. The next start, and the next restore test, remove what it left
 * and say so; what is not ours (a look-alike name, a copy made before the claim, the live
 * databases, a copy a swap was cut halfway through putting in place) stays.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import { compactStamp, fitName } from "../../plugins/backup/restore/restore-pg.ts";
import { targetSide } from "../../plugins/backup/restore/restore-request.ts";
import { sweepInstance } from "../../plugins/backup/restore/scratch-sweep.ts";
import { loadConfig } from "../../server/config.ts";
import { Core } from "../../server/core.ts";
import type { PluginContext } from "../../server/sdk/index.ts";
import type { TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import { addAcmeInstance, setBackupSettings, startBackupApp } from "./backup-helpers.ts";
import { wholeStore } from "../helpers/store.ts";

// Restores on a loaded 2-CPU box take a while.
setDefaultTimeout(180_000);

let t: TestApp & { dir: string };
let acme: Awaited<ReturnType<typeof addAcmeInstance>>;
let acmeB: Awaited<ReturnType<typeof addAcmeInstance>>;
let backupA: number;
let backupB: number;

const psql = async (db: string, sql: string) => (await getPg()).psql(db, sql).then((s) => s.trim());
const databases = async (like: string) =>
  (await psql("postgres", `SELECT datname FROM pg_database WHERE datname LIKE '${like}' ORDER BY 1`))
    .split("\n")
    .filter(Boolean);
const likeName = (name: string) => name.replace(/_/g, "\\_");
const folders = (inst: { data: string }) => readdirSync(join(inst.data, "filestore")).sort();

async function waitFor(what: string, ok: () => Promise<boolean>, ms = 60_000) {
  for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(50)) if (await ok()) return;
  throw new Error(`timed out waiting for ${what}`);
}

async function audits(action: string) {
  return t.core.db.selectFrom("audit_log").selectAll().where("action", "=", action).orderBy("id").execute();
}

/**
 * Runs crash-child.ts on our data dir, waits until a database matching each LIKE pattern exists,
 * then SIGKILLs its process group. Returns the temporary databases it left.
 */
async function crashMidRestore(spec: Record<string, unknown>, patterns: string[]): Promise<string[]> {
  const child = Bun.spawn(
    [
      "setsid",
      process.execPath,
      join(import.meta.dir, "../helpers/crash-child.ts"),
      t.dataDir,
      JSON.stringify(spec),
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  let left: string[] = [];
  try {
    await waitFor("the temporary databases", async () => {
      if (child.exitCode !== null)
        throw new Error(`crash-child exited early: ${await new Response(child.stderr).text()}`);
      const found = await Promise.all(patterns.map(databases));
      left = found.flat();
      return found.every((f) => f.length > 0);
    });
  } finally {
    process.kill(-child.pid, "SIGKILL");
    await child.exited;
  }
  // PostgreSQL ends the dead client's sessions once it notices; a restarted odoodeck comes later.
  await waitFor(
    "the killed sessions to end",
    async () =>
      (await psql(
        "postgres",
        `SELECT count(*) FROM pg_stat_activity WHERE datname = ANY('{${left.join(",")}}'::text[])`,
      )) === "0",
  );
  return left;
}

beforeAll(async () => {
  t = await startBackupApp();
  acme = await addAcmeInstance(t, "acme");
  acmeB = await addAcmeInstance(t, "acme-b");
  await setBackupSettings(t, { localDir: join(t.dir, "backups") });
  for (const inst of [acme, acmeB]) {
    const r = await t.admin.postJson(`/api/v1/backup/instances/${inst.id}/backups`, {
      wait: true,
      destinations: "local",
    });
    expect(r.body.data.backup.status).toBe("ok");
    if (inst === acme) backupA = r.body.data.backup.id;
    else backupB = r.body.data.backup.id;
  }
}, 180_000);
afterAll(() => t?.stop());

describe("leftovers of a killed odoodeck", () => {
  test("the next start removes the scratch and temporary copies it left, and nothing that is not ours", async () => {
    const [scratch, temp] = await crashMidRestore(
      { restoreTest: { instanceId: acme.id }, restore: { instanceId: acmeB.id, backupId: backupB } },
      [`odoodeck\\_rt\\_${acme.id}\\_\\_restore\\_%`, `${likeName(acmeB.db)}\\_\\_restore\\_%`],
    );
    expect(scratch).toMatch(new RegExp(`^odoodeck_rt_${acme.id}__restore_\\d{14}$`));
    expect(temp).toMatch(new RegExp(`^${acmeB.db}__restore_\\d{14}$`));
    // What the crash left: the databases, their filestore folders and the restores' work folders.
    expect(folders(acme)).toEqual([acme.db, `.${scratch}.work`, scratch].sort());
    expect(folders(acmeB)).toEqual([acmeB.db, `.${temp}.work`, temp].sort());
    // Not ours: a look-alike name, and a name of the right shape made before the restore's claim.
    const pg = await getPg();
    const lookAlike = `${acme.db}__restore_notours`;
    const older = `${acmeB.db}__restore_20200101000000`;
    // Owned by Odoo's role, as ours are: only the sweep's own rules keep them.
    for (const db of [lookAlike, older]) await pg.createDb(db, { owner: pg.odooUser });
    mkdirSync(join(acmeB.data, "filestore", older));

    // The restart: another odoodeck on the same data dir (the test app stays up, idle).
    const core = await Core.open(loadConfig({ data: t.dataDir, port: "0", plugins: "false" }, {}));
    try {
      await core.startPlugins([backupPlugin]);
      await waitFor("the start-up sweep", async () => (await audits("backup.leftovers.sweep")).length >= 2);
    } finally {
      await core.shutdown();
    }
    expect(await databases(`odoodeck\\_rt\\_%`)).toEqual([]);
    expect(await databases(`%\\_\\_restore\\_%`)).toEqual([older, lookAlike].sort());
    expect(folders(acme)).toEqual([acme.db]);
    expect(folders(acmeB)).toEqual([acmeB.db, older].sort());
    // The live databases are whole.
    for (const inst of [acme, acmeB])
      expect(await psql(inst.db, "SELECT count(*) FROM res_partner")).toBe("101");
    // What a user reads in the audit log: who removed what, on which instance.
    const rows = await audits("backup.leftovers.sweep");
    const byTarget = Object.fromEntries(rows.map((r) => [r.target, r]));
    expect(byTarget.acme).toMatchObject({ actor: "system", result: "ok", instance_id: acme.id });
    expect(JSON.parse(byTarget.acme.details)).toEqual({
      removed: [
        `database ${scratch}`,
        `folder ${join(acme.data, "filestore", scratch)}`,
        `folder ${join(acme.data, "filestore", `.${scratch}.work`)}`,
      ],
      kept: [],
      failed: [],
    });
    expect(JSON.parse(byTarget["acme-b"].details).removed).toEqual([
      `database ${temp}`,
      `folder ${join(acmeB.data, "filestore", temp)}`,
      `folder ${join(acmeB.data, "filestore", `.${temp}.work`)}`,
    ]);
    // The killed runs are marked interrupted; nothing is claimed any more.
    const tests = (await t.admin.getJson(`/api/v1/backup/i/${acme.id}/restore-tests`)).body.data.tests;
    expect(tests[0]).toMatchObject({ status: "interrupted", actor: "crash" });
    expect(await wholeStore(t.core.db).selectFrom("backup_scratch_claims").selectAll().execute()).toEqual([]);
    for (const db of [lookAlike, older]) await pg.dropDb(db);
    rmSync(join(acmeB.data, "filestore", older), { recursive: true });
  });

  test("the next restore test removes what a killed one left and reports it; a cut swap is kept", async () => {
    // Both on acme-b; the next restore test (of acme, on acme-b) sweeps there before it restores.
    const [scratch, temp] = await crashMidRestore(
      { restoreTest: { instanceId: acmeB.id }, restore: { instanceId: acmeB.id, backupId: backupB } },
      [`odoodeck\\_rt\\_${acmeB.id}\\_\\_restore\\_%`, `${likeName(acmeB.db)}\\_\\_restore\\_%`],
    );
    // As if the kill had come in the middle of the swap: acme-b's database already renamed aside.
    const aside = fitName(acmeB.db, `__rollback_${compactStamp()}`);
    await psql("postgres", `ALTER DATABASE "${acmeB.db}" RENAME TO "${aside}"`);
    try {
      const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore-tests`, {
        wait: true,
        target: acmeB.id,
      });
      const rt = r.body.data.test;
      expect(rt.status).toBe("ok");
      const line = rt.checks.find((c: any) => c.name === "leftovers");
      expect(line.status).toBe("ok");
      expect(line.message).toContain(
        `removed database ${scratch}, folder ${join(acmeB.data, "filestore", scratch)}`,
      );
      expect(line.message).toContain(
        `kept ${temp} (restore into acme-b stopped while swapping it into ${acmeB.db}: check both by hand)`,
      );
      const op = (await t.admin.getJson(`/api/v1/operations/${rt.operationId}`)).body.data;
      expect(op.steps.map((s: any) => [s.name, s.status])).toContainEqual([
        "remove leftovers of interrupted runs",
        "ok",
      ]);
      expect(op.log).toContain(`Leftovers of interrupted runs on acme-b: removed database ${scratch}`);
      const page = (await t.admin.page(`/p/backup/i/${acme.id}/restore-tests`)).html;
      expect(page).toContain('data-check="leftovers" data-status="ok"');
      expect(await databases(`odoodeck\\_rt\\_%`)).toEqual([]);
      expect(await databases(`${likeName(acmeB.db)}\\_\\_restore\\_%`)).toEqual([temp]);
      expect(existsSync(join(acmeB.data, "filestore", temp))).toBe(true);
    } finally {
      await psql("postgres", `ALTER DATABASE "${aside}" RENAME TO "${acmeB.db}"`);
    }
    // Once the instance has its database back, the next sweep takes the copy away.
    const ctx = t.core.host.records.find((x) => x.id === "backup")!.ctx as PluginContext;
    const side = await targetSide(await ctx.instances.get(acmeB.id));
    const swept = await sweepInstance(ctx, side, "admin");
    expect(swept.removed).toContain(`database ${temp}`);
    expect(await databases(`%\\_\\_restore\\_%`)).toEqual([]);
    expect(folders(acmeB)).toEqual([acmeB.db]);
    expect(await psql(acmeB.db, "SELECT count(*) FROM res_partner")).toBe("101");
  });

  test("a sweep while a restore of the same database runs leaves that restore's copy alone", async () => {
    const [crashed] = await crashMidRestore({ restore: { instanceId: acme.id, backupId: backupA } }, [
      `${likeName(acme.db)}\\_\\_restore\\_%`,
    ]);
    // A restart releases the killed run's instance lock first, then sweeps in the background:
    // a restore can start before that sweep reaches the instance. Here the sweep comes mid-restore.
    await t.core.db.deleteFrom("locks").where("instance_id", "=", acme.id).execute();
    await Bun.sleep(1100); // the next copy's name has a later stamp
    const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore`, {
      backupId: backupA,
      target: "instance",
    });
    expect(r.body.ok).toBe(true);
    let running = "";
    await waitFor("the running restore's copy", async () => {
      running = (await databases(`${likeName(acme.db)}\\_\\_restore\\_%`)).find((n) => n !== crashed) ?? "";
      return running !== "";
    });
    const ctx = t.core.host.records.find((x) => x.id === "backup")!.ctx as PluginContext;
    const swept = await sweepInstance(ctx, await targetSide(await ctx.instances.get(acme.id)), "admin");
    expect(swept.removed).toContain(`database ${crashed}`);
    expect(JSON.stringify(swept)).not.toContain(running);
    expect(await databases(`${likeName(acme.db)}\\_\\_restore\\_%`)).toEqual([running]);
    let op: any;
    await waitFor("the restore", async () => {
      op = (await t.admin.getJson(`/api/v1/operations/${r.body.data.operationId}`)).body.data;
      return op.status !== "running";
    });
    expect(op.error).toBeUndefined();
    expect(op.status).toBe("ok");
    expect(await psql(acme.db, "SELECT count(*) FROM res_partner")).toBe("101");
    expect(await databases(`%\\_\\_restore\\_%`)).toEqual([]);
  });

  test("a restore test that finishes leaves no claim behind and the sweep finds nothing", async () => {
    const r = await t.admin.postJson(`/api/v1/backup/i/${acme.id}/restore-tests`, { wait: true });
    expect(r.body.data.test.status).toBe("ok");
    expect(r.body.data.test.checks.map((c: any) => c.name)).not.toContain("leftovers");
    expect(await wholeStore(t.core.db).selectFrom("backup_scratch_claims").selectAll().execute()).toEqual([]);
  });
});
