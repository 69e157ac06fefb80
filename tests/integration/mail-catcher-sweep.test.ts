/**
 * A scratch copy a killed odoodeck left behind (a restore test's, neutralized with a mailbox of
 * its own) is removed by the next sweep: its mailbox, messages and files go with it (issue 21).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import { compactStamp } from "../../plugins/backup/restore/restore-pg.ts";
import { targetSide } from "../../plugins/backup/restore/restore-request.ts";
import { ScratchClaims, tempPrefix } from "../../plugins/backup/restore/scratch-claims.ts";
import { sweepInstance } from "../../plugins/backup/restore/scratch-sweep.ts";
import type { MailCatcherService } from "../../plugins/mail-catcher/contract.ts";
import mailCatcherPlugin from "../../plugins/mail-catcher/index.ts";
import type { PluginContext } from "../../server/sdk/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { catcherTransport } from "../helpers/catcher-transport.ts";
import { getPg } from "../helpers/pg.ts";
import { acmeOnDisk } from "./backup-helpers.ts";

let t: TestApp;
let dir: string;
let instanceId: number;
let scratch: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-mc-sweep-"));
  t = await startTestApp({ plugins: [backupPlugin, mailCatcherPlugin] });
  const acme = await acmeOnDisk(dir, "acme_sweep");
  instanceId = await t.addLocalInstance({ name: "acme-sweep", confPath: acme.confPath, dbName: acme.db });
}, 120_000);

afterAll(async () => {
  if (scratch) await (await getPg()).dropDb(scratch).catch(() => {});
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

test("the sweep drops a dead run's scratch database and its mailbox", async () => {
  // What a restore test that was killed leaves: its ended claim, the scratch database, a mailbox
  const release = await new ScratchClaims(t.core.db).claim({
    instanceId,
    dbName: "acme_sweep_rt",
    owner: "restore test #1 of acme-sweep",
  });
  scratch = `${tempPrefix("acme_sweep_rt")}${compactStamp(new Date())}`;
  await (await getPg()).psql("postgres", `CREATE DATABASE "${scratch}" OWNER odoo`);
  await release(false);
  const mc = t.core.services.get("mailCatcher") as MailCatcherService;
  const box = await mc.mailboxFor(instanceId, scratch);
  await catcherTransport(box).sendMail({ from: "a@acme.test", to: "b@example.com", text: "x" });
  const files = join(t.dataDir, "mail", String(box.mailbox));
  expect(existsSync(files)).toBe(true);

  const ctx = t.core.host.records.find((x) => x.id === "backup")!.ctx as PluginContext;
  const swept = await sweepInstance(ctx, await targetSide(await ctx.instances.get(instanceId)), "system");
  expect(swept.removed).toContain(`database ${scratch}`);
  let rows: unknown[] = [null];
  for (let i = 0; i < 50 && rows.length; i++) {
    await Bun.sleep(100); // the catcher drops the mailbox on the event
    rows = await t.core.db
      .selectFrom("mail_catcher_mailboxes" as any)
      .selectAll()
      .where("db_name", "=", scratch)
      .execute();
  }
  expect(rows).toEqual([]);
  expect(existsSync(files)).toBe(false);
}, 60_000);
