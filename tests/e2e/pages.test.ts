import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import type { Browser } from "playwright-core";
import { consoleProblems, launchChromium } from "../helpers/browser.ts";
import { startTestApp, TEST_PASSWORD, type TestApp } from "../helpers/app.ts";

let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  t = await startTestApp();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

test("a user signs in through the browser, visits every page, and no page logs a console error", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const problems = consoleProblems(page);

  await page.goto(`${t.url}/users`);
  expect(page.url()).toContain("/login?next=%2Fusers");
  await page.fill('input[name="username"]', "admin");
  await page.fill('input[name="password"]', TEST_PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${t.url}/users`);
  expect(await page.textContent("h1")).toBe("Users");

  const core = [
    "/",
    "/instances",
    "/servers",
    "/operations",
    "/jobs",
    "/users",
    "/tokens",
    "/plugins",
    "/settings",
    "/audit",
    "/notifications",
    "/account",
    "/search?q=in",
  ];
  const plugins = t.core
    .navEntries()
    .filter((n) => n.scope === "global")
    .map((n) => `/p/${n.plugin}${n.path}`);
  for (const path of [...core, ...plugins]) {
    const res = await page.goto(`${t.url}${path}`);
    expect({ path, status: res?.status() }).toEqual({ path, status: 200 });
    expect({ path, h1: await page.locator("h1").first().isVisible() }).toEqual({ path, h1: true });
  }

  // An htmx-driven form: create an API token; the token is shown once.
  await page.goto(`${t.url}/tokens`);
  await page.fill('input[name="name"]', "browser-made");
  await page.click('form[action="/tokens/new"] button');
  await expect(page.locator("#new-token")).toBeDefined();
  expect((await page.textContent("#new-token"))?.trim()).toMatch(/^odk_[0-9a-f]{8}_/);

  // Readable on a phone: the menu collapses behind a button.
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(`${t.url}/`);
  expect(await page.locator(".menu-button").isVisible()).toBe(true);
  mkdirSync("reports", { recursive: true });
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.goto(`${t.url}/`);
  await page.screenshot({ path: "reports/dashboard.png" });

  expect(problems).toEqual([]);
}, 60_000);
