import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LoginLimiter } from "../../server/auth/rate-limit.ts";
import { startTestApp, type TestApp, type TestClient, TEST_PASSWORD } from "../helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  // Behind a trusted proxy odoodeck believes X-Forwarded-For: that is how two addresses are simulated.
  t = await startTestApp({ plugins: [], flags: { "trust-proxy": "true" } });
});
afterAll(() => t.stop());

async function signIn(c: TestClient, from: string, username: string, password: string) {
  await c.page("/login");
  return c.request("POST", "/login", {
    form: { username, password, next: "/" },
    headers: { "X-Forwarded-For": from },
  });
}

async function failFiveTimes(username: string, from: string) {
  const c = t.anonymous();
  for (let i = 0; i < 5; i++)
    expect((await signIn(c, from, username, "wrong password 123")).status).toBe(401);
}

describe("failed sign-ins slow down one address, not the account", () => {
  test("failures from address A do not stop the real admin signing in from address B", async () => {
    await failFiveTimes("admin", "198.51.100.7");
    const res = await signIn(t.anonymous(), "203.0.113.20", "admin", TEST_PASSWORD);
    expect(res.status).toBe(303);
  });

  test("address A then waits: 429 with E_RATE_LIMITED and Retry-After, even with the right password", async () => {
    await failFiveTimes("ops", "198.51.100.8");
    await t.client("operator", "ops");
    const res = await signIn(t.anonymous(), "198.51.100.8", "ops", TEST_PASSWORD);
    expect(res.status).toBe(429);
    const wait = Number(res.headers.get("Retry-After"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(30);
    const html = await res.text();
    expect(html).toContain("E_RATE_LIMITED");
    expect(html).toContain("Too many failed sign-ins from your address");
  });

  test("each further failure after the wait doubles it, up to 15 minutes", async () => {
    let now = 1_000_000;
    const limiter = new LoginLimiter(t.core.db, () => now);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      await limiter.fail("192.0.2.1", "clocked");
      waits.push(await limiter.retryAfter("192.0.2.1", "clocked"));
      now += waits.at(-1)!; // the attacker waits exactly as long as told, then fails again
    }
    expect(waits.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(waits.slice(4, 8)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(waits.at(-1)).toBe(15 * 60_000);
    expect(await limiter.retryAfter("192.0.2.2", "clocked")).toBe(0);
  });

  test("an admin unlocks a locked user from the Users page, and it is audited", async () => {
    await failFiveTimes("viewer1", "198.51.100.9");
    await t.client("viewer", "viewer1");
    expect((await signIn(t.anonymous(), "198.51.100.9", "viewer1", TEST_PASSWORD)).status).toBe(429);

    const { html } = await t.admin.page("/users");
    const row = html.slice(html.indexOf("<td>viewer1"), html.indexOf("</tr>", html.indexOf("<td>viewer1")));
    expect(row).toContain("sign-in locked");
    const id = /action="\/users\/(\d+)\/unlock"/.exec(row)?.[1];
    expect(id).toBeDefined();
    const res = await t.admin.post(`/users/${id}/unlock`);
    expect(res.status).toBe(200);
    const after = await res.text();
    expect(after).toContain("viewer1 can sign in again (1 locked address cleared).");
    const rowAfter = after.slice(
      after.indexOf("<td>viewer1"),
      after.indexOf("</tr>", after.indexOf("<td>viewer1")),
    );
    expect(rowAfter).toContain("active");
    expect(rowAfter).not.toContain("sign-in locked");

    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "users.unlock")
      .where("target", "=", "user:viewer1")
      .execute();
    expect(audit.map((a) => [a.actor, a.result])).toEqual([["admin", "ok"]]);
    expect(JSON.parse(audit[0]!.details ?? "{}").surface).toBe("page");
    expect((await signIn(t.anonymous(), "198.51.100.9", "viewer1", TEST_PASSWORD)).status).toBe(303);
  });

  test("a viewer cannot unlock anyone", async () => {
    const v = await t.client("viewer");
    await v.page("/");
    const res = await v.post("/users/1/unlock");
    expect(res.status).toBe(403);
  });

  test("`odoodeck user unlock <name>` clears the lock of the running server and is audited", async () => {
    await failFiveTimes("cliuser", "198.51.100.10");
    await t.client("viewer", "cliuser");
    expect((await signIn(t.anonymous(), "198.51.100.10", "cliuser", TEST_PASSWORD)).status).toBe(429);
    const p = Bun.spawn(
      [process.execPath, "server/main.ts", "user", "unlock", "cliuser", "--data", t.dataDir],
      { stdout: "pipe", stderr: "pipe" },
    );
    const out = await new Response(p.stdout).text();
    expect(await p.exited).toBe(0);
    expect(out).toContain("cliuser can sign in again (1 locked address cleared)");
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["actor", "action"])
      .where("target", "=", "user:cliuser")
      .where("action", "=", "users.unlock")
      .execute();
    expect(audit[0]?.actor).toStartWith("cli:");
    expect((await signIn(t.anonymous(), "198.51.100.10", "cliuser", TEST_PASSWORD)).status).toBe(303);
  });
});
