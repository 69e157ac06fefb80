// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's innerText keeps the line breaks between the facts the assertions read
/**
 * Issue 16: a newcomer goes from nothing to "prod is backed up and I watched it restore" by
 * clicking, on a desk and on a phone: set-up link → server → discovery → backup → restore into a
 * new neutralized database → restore test. On every page: no console error and nothing wider
 * than the screen. Screenshots of each step go to $ODOODECK_SCREENSHOTS (default: a temp folder
 * removed afterwards).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startTestApp } from "../helpers/app.ts";
import { consoleProblems, launchChromium } from "../helpers/browser.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { getPg } from "../helpers/pg.ts";
import { STAND_IN_ODOO } from "../helpers/runtime.ts";
import { acmeOnDisk } from "../integration/backup-helpers.ts";

const OP_TIMEOUT = 240_000; // a 2-core machine with other work running
const PASSWORD = "a newcomer's long password";

let browser: Browser;
const shotsDir = process.env.ODOODECK_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "odoodeck-shots-"));
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  mkdirSync(shotsDir, { recursive: true });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  await browser?.close();
  if (!process.env.ODOODECK_SCREENSHOTS) rmSync(shotsDir, { recursive: true, force: true });
}, 60_000); // dropping two restored databases takes 2-4 s each on a busy 2-core machine

/** An Odoo "running" on this machine: its odoo.conf, database, filestore, and a process that discovery sees. */
async function runningOdoo(name: string) {
  const pg = await getPg();
  const dir = mkdtempSync(join(tmpdir(), `odoodeck-newcomer-${name}-`));
  const { confPath, db } = await acmeOnDisk(dir, `odoo-${name}`);
  // A running Odoo as `ps` shows it (odoo-bin -c <conf>): the stand-in Odoo, serving its conf's
  // http_port. Discovery hands this command to the restore test, which boots it on the copy.
  const bin = join(dir, "odoo-bin");
  copyFileSync(STAND_IN_ODOO, bin);
  chmodSync(bin, 0o755);
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const httpPort = probe.port;
  probe.stop(true);
  appendFileSync(confPath, `http_port = ${httpPort}\n`);
  const proc = Bun.spawn([bin, "-c", confPath], { stdin: "pipe", stdout: "ignore", stderr: "ignore" });
  cleanups.push(async () => {
    proc.kill("SIGKILL");
    await pg.dropDb(db).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  return { confPath, db, pg };
}

/** Checks the page a user sees now, and keeps a screenshot of it. */
function pageChecker(page: Page, tag: string) {
  let n = 0;
  return async (step: string) => {
    await page.waitForLoadState("load");
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    expect({ step, url: page.url(), scrollWidth }).toEqual({
      step,
      url: page.url(),
      scrollWidth: innerWidth,
    });
    await page.screenshot({
      path: join(shotsDir, `${tag}-${String(++n).padStart(2, "0")}-${step}.png`),
      fullPage: true,
    });
  };
}

/** Waits on an operation page until it ends; fails with what the page says when it did not succeed. */
async function operationOk(page: Page): Promise<void> {
  const op = page.locator('.operation:not([data-status="running"])');
  await op.waitFor({ timeout: OP_TIMEOUT });
  const status = await op.getAttribute("data-status");
  if (status !== "ok") throw new Error(`operation ${status}: ${await op.innerText()}`);
}

/** Clicks a link of the main menu (behind the menu button on a phone). */
async function menu(page: Page, label: string) {
  if (await page.locator(".menu-button").isVisible()) await page.click(".menu-button");
  await page.click(`.sidebar a:text-is("${label}")`);
}

async function walk(viewport: { width: number; height: number }, tag: string) {
  const t = await startTestApp({ firstRun: true });
  cleanups.push(() => t.stop());
  const odoo = await runningOdoo(tag);
  const page = await browser.newPage({ viewport });
  const problems = consoleProblems(page);
  const check = pageChecker(page, tag);

  // Before set-up, the address odoodeck gives says how to set it up.
  await page.goto(`${t.url}/`);
  await page.locator("text=No account exists yet").waitFor({ state: "visible" });
  expect(await page.textContent("main")).toContain("setup link");
  await check("before-setup");

  // The printed one-time link: create the admin, signed in at once.
  await page.goto(t.setupLink!);
  await check("setup");
  await page.fill('input[name="username"]', "admin");
  await page.fill('input[name="password"]', PASSWORD);
  await page.fill('input[name="password2"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${t.url}/`);
  await page.locator("#getting-started").waitFor({ state: "visible" });
  await check("dashboard-empty");

  // Server: the machine odoodeck runs on. No SSH fields or host-key text for it.
  await page.click('#getting-started a:text("Add a server")');
  await page.waitForURL(`${t.url}/servers`);
  expect(await page.inputValue('select[name="kind"]')).toBe("local");
  expect(await page.locator('input[name="host"]').isVisible()).toBe(false);
  expect(await page.locator('textarea[name="privateKey"]').isVisible()).toBe(false);
  await check("servers");
  await page.fill('input[name="name"]', "this-machine");
  await page.click('#server-form button:text("Add server")');
  await page.waitForURL(/\/servers\/\d+\?added=1$/);
  expect(await page.textContent("main")).not.toContain("host key");
  await check("server-added");

  // Discovery finds the running Odoo; one click fills the instance form.
  await page.click('a:text("Discover instances")');
  await page.waitForURL(/\/discover$/);
  await check("discovered");
  const row = page.locator("#candidates tr", { hasText: odoo.confPath });
  await row.locator('a:text("Add this instance")').click();
  await page.waitForURL(/\/instances\?/);
  expect(await page.inputValue('input[name="confPath"]')).toBe(odoo.confPath);
  expect(await page.inputValue('input[name="name"]')).toBe(tag);
  await page.check('input[name="production"]');
  await check("instance-form");
  await page.click('#instance-form button:text("Add instance")');
  await page.waitForURL(/\/instances\/\d+$/);
  const instanceId = Number(/\/instances\/(\d+)$/.exec(page.url())![1]);
  await page.locator(".instance-head .badge-prod").waitFor({ state: "visible" });
  // The instance's name is its page's one title.
  expect(await page.locator("h1").count()).toBe(1);
  await check("instance");

  // Backups tab: production is scheduled by default; the schedule and its next run are shown.
  await page.click('.tabs a:text-is("Backups")');
  await page.waitForURL(/\/backups$/);
  const schedule = page.locator("#backup-schedule");
  await schedule.locator("text=every day at 02:00").waitFor({ state: "visible" });
  expect(await schedule.innerText()).toMatch(/Next run\s+in \d+ (minute|hour)s?/);
  expect(await schedule.innerText()).toContain("This machine");
  await check("backups-empty");
  expect(await page.isChecked('input[name="destinations"][value="local"]')).toBe(true);
  await page.click('#backup-now button:text("Back up now")');
  await page.waitForURL(/\/operations\//);
  await operationOk(page);
  const result = await page.locator("#op-result").innerText();
  expect(result).toMatch(/Size\s+\d/);
  expect(result).toMatch(/Took\s+[\d.]+ s/);
  await check("backup-done");

  // Restore from the backup's row: the backup is picked, a new database is the default target,
  // neutralization is on.
  await page.click(`a:text("Backups of ${tag}")`);
  await page.waitForURL(/\/backups$/);
  const backupRow = page.locator("#backups tbody tr").first();
  await backupRow.locator(".badge-ok").waitFor({ state: "visible" });
  await check("backups-list");
  await backupRow.locator('a:text("Restore")').click();
  await page.waitForURL(/\/restore\?backup=\d+$/);
  const picked = page.locator('#backup-pick input[name="backupId"]:checked');
  const pickedId = await picked.getAttribute("value");
  expect(pickedId).toMatch(/^\d+$/);
  // A file from the computer is uploaded as soon as it is chosen (Odoo's own zip here)…
  await page.setInputFiles("#restore-file", FIXTURES.prodOdooBackupZip);
  await page.locator("#upload-status.ok-text").waitFor({ timeout: OP_TIMEOUT });
  expect(await page.textContent("#upload-status")).toMatch(
    /^Uploaded acme_prod\.odoo-backup\.zip \(\d+ KB\)/,
  );
  expect(await page.isChecked("#pick-upload")).toBe(true);
  // …and the listed backup can still be picked instead.
  await page.check(`#pick-${pickedId}`);
  expect(await page.isChecked('input[name="target"][value="new"]')).toBe(true);
  expect(await page.isChecked("#restore-neutralize")).toBe(true);
  // Replacing production switches the default off, and back on for a new database.
  await page.check('input[name="target"][value="instance"]');
  expect(await page.isChecked("#restore-neutralize")).toBe(false);
  await page.check('input[name="target"][value="new"]');
  expect(await page.isChecked("#restore-neutralize")).toBe(true);
  const newDb = await page.inputValue('input[name="dbName"]');
  cleanups.push(() => odoo.pg.dropDb(newDb).catch(() => {}));
  await check("restore-form");
  await page.click('#restore-form button:text("Restore")');
  await page.waitForURL(/\/operations\//);
  await operationOk(page);
  const restored = await page.locator("#op-result").innerText();
  expect(restored).toContain(newDb);
  expect(restored).toMatch(/Neutralized\s+yes/);
  await check("restore-done");
  // The new database is a real, neutralized copy.
  expect((await odoo.pg.psql(newDb, "select count(*) from res_partner")).trim()).toBe("101");
  expect(
    (
      await odoo.pg.psql(newDb, "select value from ir_config_parameter where key = 'database.is_neutralized'")
    ).trim(),
  ).not.toBe("");

  // The restore test, from the restore's own page.
  await page.click('a:text("Run a restore test")');
  await page.waitForURL(/\/restore-tests$/);
  await check("restore-tests");
  await page.click('button:text("Run restore test")');
  await page.waitForURL(/\/operations\//);
  await operationOk(page);
  await check("restore-test-done");

  // Back on the dashboard: the guide is done, the instance shows its verified restore.
  await menu(page, "Dashboard");
  await page.waitForURL(`${t.url}/`);
  expect(await page.locator("#getting-started").count()).toBe(0);
  expect(await page.locator(".instance-card").innerText()).toMatch(
    /Last verified restore:\s+\d+ (second|minute)s? ago/,
  );
  await check("dashboard-done");

  // The operations list names the instance and filters by it.
  await menu(page, "Operations");
  await page.waitForURL(`${t.url}/operations`);
  await page.selectOption('#ops-filter select[name="instance"]', String(instanceId));
  await page.click('#ops-filter button:text("Filter")');
  await page.waitForURL(/instance=\d+/);
  expect(await page.locator("#operations tbody tr").count()).toBeGreaterThanOrEqual(3);
  expect(await page.locator("#operations").innerText()).toContain(tag);
  await check("operations");

  expect(problems).toEqual([]);
  await page.close();
}

test("a newcomer reaches a verified restore by clicking, on a desk (1440×900)", async () => {
  await walk({ width: 1440, height: 900 }, "desk");
}, 600_000);

test("a newcomer reaches a verified restore by clicking, on a phone (390×844)", async () => {
  await walk({ width: 390, height: 844 }, "phone");
}, 600_000);
