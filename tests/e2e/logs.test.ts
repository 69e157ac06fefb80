import { afterAll, beforeAll, expect, test } from "bun:test";
import { appendFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import { consoleProblems, launchChromium } from "../helpers/browser.ts";
import logs from "../../plugins/logs/index.ts";
import { startTestApp, TEST_PASSWORD, type TestApp } from "../helpers/app.ts";
import { fixtureLogInstance, type LogsInstance, odooLine } from "../integration/logs-helpers.ts";

let t: TestApp;
let browser: Browser;
let fx: LogsInstance;

beforeAll(async () => {
  t = await startTestApp({ plugins: [logs] });
  fx = await fixtureLogInstance(t, { name: "browser-logs" });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

test("the logs page follows the file live; pause stops it, resume catches up; no console error", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const problems = consoleProblems(page);

  await page.goto(`${t.url}/p/logs/i/${fx.id}`);
  await page.fill('input[name="username"]', "admin");
  await page.fill('input[name="password"]', TEST_PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${t.url}/p/logs/i/${fx.id}`);
  expect(await page.locator("#logs-counts [data-level=ERROR] b").textContent()).toBe("2");
  // A window: the last 500 of the 1,725 records, with their file line numbers.
  expect(await page.locator("#log-view .lr").count()).toBe(500);
  expect(await page.locator("#log-view .lr").last().getAttribute("data-line")).toBe("1753");
  await page.locator("#logs-state", { hasText: "following" }).waitFor();

  // The view starts at the bottom; a new line shows up at the bottom while following.
  appendFileSync(fx.log, odooLine("live line one <b>not bold</b>", { level: "WARNING" }));
  const one = page.locator("#log-view .lr", { hasText: "live line one" });
  await one.waitFor({ timeout: 15_000 });
  expect(await one.locator(".lr-msg").textContent()).toBe("live line one <b>not bold</b>");
  expect(await page.locator("#log-view b").count()).toBe(0);
  const atBottom = await page.evaluate(() => {
    const v = document.getElementById("log-view")!;
    return v.scrollHeight - v.scrollTop - v.clientHeight < 40;
  });
  expect(atBottom).toBe(true);

  // The counters grow with what is followed.
  await page.locator("#logs-counts [data-level=WARNING] b", { hasText: /^2$/ }).waitFor({ timeout: 15_000 });
  expect(await one.getAttribute("data-line")).toBe("1754");

  // Scrolled to the top, the earlier records load, window by window; the rows on screen stay put.
  const firstLine = await page.locator("#log-view .lr").first().getAttribute("data-line");
  const rows = () => page.locator("#log-view .lr").count();
  await page.evaluate(() => {
    document.getElementById("log-view")!.scrollTop = 0;
  });
  await page.waitForFunction(() => document.querySelectorAll("#log-view .lr").length >= 1001);
  const kept = await page.evaluate((line) => {
    const v = document.getElementById("log-view")!;
    const r = v.querySelector(`.lr[data-line="${line}"]`)!;
    return { scrollTop: v.scrollTop, top: r.getBoundingClientRect().top - v.getBoundingClientRect().top };
  }, firstLine);
  expect(kept.scrollTop).toBeGreaterThan(0);
  expect(kept.top).toBeGreaterThanOrEqual(0);
  expect(kept.top).toBeLessThan(200);
  for (let i = 0; i < 5 && (await page.locator("#logs-earlier").count()); i++) {
    const before = await rows();
    await page.evaluate(() => {
      document.getElementById("log-view")!.scrollTop = 0;
    });
    await page.waitForFunction((n) => document.querySelectorAll("#log-view .lr").length > n, before);
  }
  expect(await page.locator("#logs-earlier").count()).toBe(0);
  expect(await rows()).toBe(1726);
  expect(await page.locator("#log-view .lr").first().getAttribute("data-line")).toBe("1");
  await page.evaluate(() => {
    const v = document.getElementById("log-view")!;
    v.scrollTop = v.scrollHeight;
  });

  // Tracebacks are folded; a click opens them.
  const tb = page.locator("#log-view .lv-ERROR details").first();
  expect(await tb.getAttribute("open")).toBeNull();
  await tb.locator("summary").click();
  expect(await tb.getAttribute("open")).toBe("");

  // Pause: lines written meanwhile do not appear…
  await page.click("#logs-follow");
  await page.locator("#logs-state", { hasText: "paused" }).waitFor();
  expect(await page.textContent("#logs-follow")).toBe("Resume");
  appendFileSync(fx.log, odooLine("written while paused"));
  await page.waitForTimeout(1500);
  expect(await page.locator("#log-view .lr", { hasText: "written while paused" }).count()).toBe(0);
  // …and arrive, once, on resume (the stream resumes from its cursor).
  await page.click("#logs-follow");
  await page.locator("#log-view .lr", { hasText: "written while paused" }).waitFor({ timeout: 15_000 });
  appendFileSync(fx.log, odooLine("after resume"));
  await page.locator("#log-view .lr", { hasText: "after resume" }).waitFor({ timeout: 15_000 });
  expect(await page.locator("#log-view .lr", { hasText: "written while paused" }).count()).toBe(1);
  expect(await page.locator("#log-view .lr", { hasText: "live line one" }).count()).toBe(1);

  // Scrolled up, the view stays put and says there is more below.
  await page.evaluate(() => {
    document.getElementById("log-view")!.scrollTop = 0;
  });
  await page.waitForFunction(() => !(document.getElementById("logs-autoscroll") as HTMLInputElement).checked);
  appendFileSync(fx.log, odooLine("while scrolled up"));
  await page.locator("#logs-new:not([hidden])").waitFor({ timeout: 15_000 });
  expect(await page.evaluate(() => document.getElementById("log-view")!.scrollTop)).toBe(0);
  await page.click("#logs-new");
  expect(await page.locator("#logs-new").isHidden()).toBe(true);

  // Clicking a logger narrows the view (a deep link); the filter form reflects it.
  await page
    .locator("#log-view .lr-lg", { hasText: /^odoo\.http$/ })
    .first()
    .click();
  await page.waitForURL(/logger=odoo\.http/);
  expect(await page.inputValue('input[name="logger"]')).toBe("odoo.http");
  expect(await page.locator("#log-view .lr").count()).toBeGreaterThan(0);
  for (const logger of await page.locator("#log-view .lr-lg").allTextContents())
    expect(logger).toMatch(/^odoo\.http/);

  // Search streams results in; the errors summary lists both cron failures.
  await page.goto(`${t.url}/p/logs/i/${fx.id}/search?q=Login+failed`);
  await page.locator("#search-results .search-done").waitFor({ timeout: 15_000 });
  expect(await page.locator("#search-results .lr").count()).toBe(3);
  expect(await page.textContent("#search-state")).toBe("3 results.");
  await page.goto(`${t.url}/p/logs/i/${fx.id}/errors?hours=8784`);
  expect(await page.locator("#errors-table tbody tr").count()).toBe(2);

  expect(problems).toEqual([]);
  await page.close();
}, 90_000);
