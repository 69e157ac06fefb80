/** Issue 16 polish: the command palette, the skip link, dark mode and its toggle, no emoji icons. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser, Page } from "playwright-core";
import { startTestApp, TEST_PASSWORD, type TestApp } from "../helpers/app.ts";
import { FIXTURES } from "../helpers/fixtures.ts";
import { consoleProblems, launchChromium } from "../helpers/browser.ts";

let t: TestApp;
let browser: Browser;
let prod: number;

beforeAll(async () => {
  t = await startTestApp();
  prod = await t.addLocalInstance({ name: "prod", confPath: FIXTURES.prodConf, production: true });
  await t.addLocalInstance({ name: "staging", confPath: FIXTURES.stagingConf });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

async function signIn(page: Page) {
  await page.goto(`${t.url}/login`);
  await page.fill('input[name="username"]', "admin");
  await page.fill('input[name="password"]', TEST_PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${t.url}/`);
}

const background = (page: Page) =>
  page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

test("'/' and Ctrl+K open the palette; 'back up prod' finds the Backups tab of prod", async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems = consoleProblems(page);
  await signIn(page);
  await page.keyboard.press("/");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("palette-input");
  await page.keyboard.type("back up prod");
  const first = page.locator("#palette-list [role=option]").first();
  await first.waitFor({ state: "visible" });
  expect((await first.textContent())?.trim()).toBe("Backups · prod action");
  await page.keyboard.press("Enter");
  await page.waitForURL(`${t.url}/p/backup/i/${prod}/backups`);

  await page.keyboard.press("Control+k");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("palette-input");
  await page.keyboard.type("restore");
  await page.locator("#palette-list [role=option]").first().waitFor({ state: "visible" });
  const labels = await page.locator("#palette-list [role=option] a").allTextContents();
  expect(labels).toContain("Restore · prod action");
  await page.keyboard.press("Escape");
  expect(await page.locator("#palette-list").isVisible()).toBe(false);
  expect(problems).toEqual([]);
  await page.close();
}, 60_000);

test("the first Tab reaches a visible skip link to the content", async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await signIn(page);
  await page.keyboard.press("Tab");
  const focused = page.locator(".skip-link:focus");
  expect(await focused.isVisible()).toBe(true);
  const outline = await focused.evaluate((e) => getComputedStyle(e).outlineStyle);
  expect(outline).not.toBe("none");
  await page.keyboard.press("Enter");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("content");
  await page.close();
}, 60_000);

test("dark follows the system until toggled; the toggle is remembered", async () => {
  const ctx = await browser.newContext({ colorScheme: "dark", viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  const problems = consoleProblems(page);
  await signIn(page);
  expect(await background(page)).toBe("rgb(20, 22, 27)");
  await page.click("#theme-toggle");
  expect(await background(page)).toBe("rgb(246, 247, 249)");
  await page.goto(`${t.url}/instances`);
  expect(await page.getAttribute("html", "data-theme")).toBe("light");
  expect(await background(page)).toBe("rgb(246, 247, 249)");
  expect(problems).toEqual([]);
  await ctx.close();
}, 60_000);

test("status icons are inline SVG, not emoji; production is marked without alarm colours", async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await signIn(page);
  for (const path of ["/", "/p/health/", `/instances/${prod}`, `/p/health/i/${prod}/`]) {
    await page.goto(`${t.url}${path}`);
    const text = await page.evaluate(() => document.body.textContent ?? "");
    expect({ path, emoji: text.match(/\p{Extended_Pictographic}/gu) }).toEqual({ path, emoji: null });
  }
  await page.goto(`${t.url}/instances/${prod}`);
  const marker = page.locator(".instance-head .badge-prod");
  expect(await marker.textContent()).toBe("production");
  expect(await page.locator(".instance-head .badge-error").count()).toBe(0);
  await page.close();
}, 60_000);
