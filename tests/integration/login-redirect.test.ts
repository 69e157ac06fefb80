import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, TEST_PASSWORD } from "../helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ plugins: [] });
});
afterAll(() => t.stop());

/** Signs in through the real form with this `next` and returns where the browser is sent. */
async function signInWith(
  next: string,
): Promise<{ status: number; location: string | null; hidden: string }> {
  const c = t.anonymous();
  const { html } = await c.page(`/login?next=${encodeURIComponent(next)}`);
  const hidden = /name="next" value="([^"]*)"/.exec(html)?.[1] ?? "?";
  const res = await c.post("/login", { username: "admin", password: TEST_PASSWORD, next });
  return { status: res.status, location: res.headers.get("Location"), hidden };
}

describe("the page after sign-in never leaves odoodeck", () => {
  const hostile = [
    "/\t/127.0.0.2:7300/pwned", // the reported one: browsers drop the tab and go off-site
    "/\n/evil.example",
    "/\r\n/evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/.//evil.example",
    "/%2e//evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "",
  ];
  for (const next of hostile)
    test(`next=${JSON.stringify(next)} lands on the dashboard`, async () => {
      const r = await signInWith(next);
      expect(r.status).toBe(303);
      expect(r.location).toBe("/");
      expect(r.hidden).toBe("/");
    });

  test("the same hostile next in the raw query string (as the report sent it) is refused", async () => {
    const c = t.anonymous();
    const { html } = await c.page("/login?next=%2F%09%2F127.0.0.2%3A7300%2Fpwned");
    expect(html).toContain('name="next" value="/"');
  });

  test("a signed-in visit to /login with a hostile next stays on odoodeck", async () => {
    const res = await t.admin.get("/login?next=%2F%5Cevil.example");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/");
  });

  test("a page of odoodeck with its query and fragment is kept", async () => {
    const r = await signInWith("/instances/3?tab=logs&q=a%20b#end");
    expect(r.location).toBe("/instances/3?tab=logs&q=a%20b#end");
    expect(r.hidden).toBe("/instances/3?tab=logs&amp;q=a%20b#end");
  });
});
