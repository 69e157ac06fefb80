/**
 * The mail catcher in Chromium as people use it: the inbox shows a new mail live (SSE, no reload);
 * the message's HTML sits in a sandboxed iframe and a remote image is fetched only after "Load
 * remote content" (a local HTTP server counts the fetches).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import type { MailboxCredentials, MailCatcherService } from "../../plugins/mail-catcher/contract.ts";
import { catcherTransport } from "../helpers/catcher-transport.ts";
import { consoleProblems, launchChromium } from "../helpers/browser.ts";
import { startTestApp, TEST_PASSWORD, type TestApp } from "../helpers/app.ts";

let t: TestApp;
let browser: Browser;
let box: MailboxCredentials;
let pixelHits = 0;
let pixel: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  t = await startTestApp();
  box = await (t.core.services.get("mailCatcher") as MailCatcherService).mailboxFor(null, "acme_preview");
  pixel = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch() {
      pixelHits++;
      return new Response(Buffer.from("R0lGODlhAQABAAAAACw=", "base64"), {
        headers: { "Content-Type": "image/gif" },
      });
    },
  });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  pixel?.stop(true);
  await t?.stop();
});

const send = (subject: string, html: string) =>
  catcherTransport(box).sendMail({ from: "sales@acme.test", to: "customer@example.com", subject, html });

test("a new mail appears in the open inbox without reload; remote images wait for 'Load remote content'", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = consoleProblems(page);
  await page.goto(`${t.url}/p/mail-catcher/`);
  await page.fill('input[name="username"]', "admin");
  await page.fill('input[name="password"]', TEST_PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForURL(/\/p\/mail-catcher\/?$/); // sign-in returns to the inbox
  await page.locator("text=No mail caught yet").waitFor();
  // A reload would drop this mark: its survival shows the row came over SSE into the same page
  await page.evaluate(() => {
    (window as any).stillTheSamePage = true;
  });
  // The SSE connection must be open before the mail is sent, or the event has no listener yet
  await page.waitForFunction(() => (window as any).htmx && document.querySelector("[sse-connect]"));
  await Bun.sleep(500); // htmx opens the EventSource after load; nothing on the page says when

  const url = `http://127.0.0.1:${pixel.port}/pixel.gif`;
  await send("Quotation S00077", `<p id="body">Your quotation</p><img src="${url}" alt="tracker">`);
  const row = page.locator("#mc-messages a", { hasText: "Quotation S00077" });
  await row.waitFor({ timeout: 15_000 });
  expect(await page.evaluate(() => (window as any).stillTheSamePage)).toBe(true);
  expect(await page.locator("#mc-count").textContent()).toContain("1 message(s)");

  await row.click();
  await page.locator("#mc-subject", { hasText: "Quotation S00077" }).waitFor();
  const iframe = page.locator("iframe#mc-html");
  expect(await iframe.getAttribute("sandbox")).toBe("");
  const frame = page.frameLocator("iframe#mc-html");
  await frame.locator("#body", { hasText: "Your quotation" }).waitFor();
  // The frame has loaded its HTML; give a blocked image every chance to be fetched anyway
  await Bun.sleep(700);
  expect(pixelHits).toBe(0);
  expect(await frame.locator("img").count()).toBe(1); // the image is there, only its fetch is held

  await page.click("#mc-load-remote");
  await page.locator("text=Remote content is loaded.").waitFor();
  await frame.locator("#body").waitFor();
  for (let i = 0; i < 50 && pixelHits === 0; i++) await Bun.sleep(100);
  expect(pixelHits).toBeGreaterThanOrEqual(1);
  // What the CSP blocked before the click is reported as such, nothing else went wrong
  expect(problems.filter((p) => !p.includes("Content Security Policy"))).toEqual([]);
}, 60_000);
