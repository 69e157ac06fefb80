/**
 * A preview opened in Chromium at its own name (`feat.preview.test`, resolved to loopback by a
 * host-resolver rule as wildcard DNS would): odoodeck's proxy serves the stand-in Odoo's login
 * page; a stopped preview shows the waiting page, which turns into the login page by itself.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import type { PreviewsService } from "../../plugins/previews/service.ts";
import type { TestApp } from "../helpers/app.ts";
import { launchChromium } from "../helpers/browser.ts";
import { dropPreviews, PREVIEW_DOMAIN, previewsWithTemplate } from "../helpers/previews.ts";

let t: TestApp;
let svc: PreviewsService;
let dir: string;
let browser: Browser;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-previews-e2e-"));
  ({ t, svc } = await previewsWithTemplate(dir));
  const snap = await (
    await svc.create({ name: "feat", template: "acme", branch: "feature", owner: "admin" }, "admin")
  ).done;
  if (snap.status !== "ok") throw new Error(JSON.stringify(snap.error ?? snap.steps));
  url = `http://feat.${PREVIEW_DOMAIN}:${new URL(t.url).port}/web/login`;
  browser = await launchChromium({ args: [`--host-resolver-rules=MAP *.${PREVIEW_DOMAIN} 127.0.0.1`] });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (svc) await dropPreviews(svc);
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
  // Destroying the previews and the template outlasts bun's 5 s default on a loaded machine.
}, 120_000);

test("the preview's URL shows its Odoo's login page through odoodeck's proxy", async () => {
  const page = await browser.newPage();
  const res = await page.goto(url);
  expect(res?.status()).toBe(200);
  expect(await page.locator("form.oe_login_form").count()).toBe(1);
  await page.close();
});

test("a stopped preview shows the waiting page, which becomes the login page once it is up", async () => {
  await svc.stop("feat");
  const page = await browser.newPage();
  const res = await page.goto(url);
  expect(res?.status()).toBe(503);
  expect(await page.locator("h1").textContent()).toBe("Starting feat…");
  // No click: the page reloads itself until the preview answers.
  await page.locator("form.oe_login_form").waitFor({ state: "attached", timeout: 30_000 });
  expect(page.url()).toBe(url);
  expect((await svc.store.get("feat"))?.status).toBe("running");
  await page.close();
}, 60_000);
