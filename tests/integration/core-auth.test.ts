import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, TEST_PASSWORD } from "../helpers/app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ plugins: [] });
});
afterAll(() => t.stop());

describe("sign-in, sessions and CSRF", () => {
  test("signed-in admin sees the dashboard with the admin navigation", async () => {
    const { res, html } = await t.admin.page("/");
    expect(res.status).toBe(200);
    expect(html).toContain("Dashboard");
    expect(html).toContain('href="/users"');
    expect(html).toContain("No Odoo instance yet.");
  });

  test("a wrong password is refused with a clear message and audited", async () => {
    const c = t.anonymous();
    await c.page("/login");
    const res = await c.post("/login", { username: "admin", password: "nope nope nope" });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("Wrong username or password.");
    const rows = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "auth.login")
      .where("result", "=", "error")
      .execute();
    expect(rows.length).toBeGreaterThan(0);
  });

  test("a form posted without the CSRF token is refused with E_CSRF", async () => {
    const res = await t.admin.request("POST", "/tokens/new", {
      body: new URLSearchParams({ name: "x", role: "viewer" }),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      noCsrf: true,
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("E_CSRF");
  });

  test("the API answers 401 with the JSON envelope when signed out", async () => {
    const { status, body } = await t.anonymous().getJson("/api/v1/me");
    expect(status).toBe(401);
    expect(body).toEqual({
      ok: false,
      error: { code: "E_UNAUTHENTICATED", message: "You need to sign in", hint: expect.any(String) },
    });
  });

  test("a browser that is signed out is sent to the login page", async () => {
    const res = await t.anonymous().get("/users");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/login?next=%2Fusers");
  });

  test("login is rate limited after five failures", async () => {
    const c = t.anonymous();
    await c.page("/login");
    for (let i = 0; i < 5; i++) await c.post("/login", { username: "victim", password: "wrong-password-x" });
    const res = await c.post("/login", { username: "victim", password: TEST_PASSWORD });
    expect(res.status).toBe(429);
    expect(await res.text()).toContain("Too many failed sign-ins");
  });
});

describe("events and operations", () => {
  test("/events streams an operation's progress as Server-Sent Events, resumable with Last-Event-ID", async () => {
    const ctrl = new AbortController();
    const res = await t.admin.request("GET", "/events", { headers: { Accept: "text/event-stream" } });
    expect(res.headers.get("Content-Type")).toContain("text/event-stream");
    const reader = res.body!.getReader();
    const op = t.core.operations.start("test", {
      kind: "demo",
      title: "Demo operation",
      actor: "admin",
      steps: ["one", "two"],
      run: async (o) => {
        await o.step("one", async (s) => s.progress({ bytesDone: 5, bytesTotal: 10 }));
        await o.step("two", async () => 42);
        return "done";
      },
    });
    const snap = await op.done;
    expect(snap.status).toBe("ok");
    expect(snap.steps.map((s) => [s.name, s.status])).toEqual([
      ["one", "ok"],
      ["two", "ok"],
    ]);
    let text = "";
    const dec = new TextDecoder();
    while (!text.includes("event: operation.finished")) text += dec.decode((await reader.read()).value);
    expect(text).toContain("Demo operation");
    const lastId = Number(/id: (\d+)\nevent: operation.finished/.exec(text)![1]);
    await reader.cancel();
    ctrl.abort();
    // A reconnect with an older Last-Event-ID replays what was missed.
    const again = await t.admin.request("GET", "/events", {
      headers: { "Last-Event-ID": String(lastId - 1) },
    });
    const r2 = again.body!.getReader();
    let t2 = "";
    while (!t2.includes("operation.finished")) t2 += dec.decode((await r2.read()).value);
    await r2.cancel();
    expect(t2).toContain(`id: ${lastId}`);
    const { html } = await t.admin.page(`/operations/${op.id}`);
    expect(html).toContain("Demo operation");
  });

  test("a second locking operation on the same instance gets E_BUSY naming the holder", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = t.core.operations.start("test", {
      kind: "x",
      title: "Long restore",
      actor: "admin",
      instanceId: 77,
      lock: true,
      steps: ["wait"],
      run: async (o) => o.step("wait", () => gate),
    });
    await Bun.sleep(50);
    const second = await t.core.operations.start("test", {
      kind: "x",
      title: "Another",
      actor: "admin",
      instanceId: 77,
      lock: true,
      steps: ["x"],
      run: async () => {},
    }).done;
    expect(second.status).toBe("error");
    expect(second.error?.code).toBe("E_BUSY");
    expect(second.error?.message).toContain("Long restore");
    release();
    expect((await first.done).status).toBe("ok");
  });
  test("a child operation runs under its parent's lock, others still get E_BUSY, cancelling the parent cancels it", async () => {
    let childOutcome: Promise<unknown> | null = null;
    let childGate!: () => void;
    const childWaits = new Promise<void>((r) => (childGate = r));
    let childId = "";
    const parent = t.core.operations.start("test", {
      kind: "upgrade",
      title: "Upgrade with a backup first",
      actor: "admin",
      instanceId: 78,
      lock: true,
      steps: ["backup", "upgrade"],
      run: async (o) => {
        await o.step("backup", async () => {
          const child = t.core.operations.start("test", {
            kind: "backup",
            title: "Backup before upgrade",
            actor: "admin",
            instanceId: 78,
            lock: true,
            parentId: parent.id,
            steps: ["dump"],
            run: async (c) => c.step("dump", async () => 7),
          });
          const snap = await child.done;
          if (snap.status !== "ok") throw new Error(`child ${snap.status}: ${snap.error?.message}`);
          return snap.result;
        });
        await o.step("upgrade", async (s) => {
          const child = t.core.operations.start("test", {
            kind: "wait",
            title: "Waits for cancel",
            actor: "admin",
            instanceId: 78,
            lock: true,
            parentId: parent.id,
            steps: ["wait"],
            run: (c) =>
              c.step("wait", (cs) => {
                childGate();
                return new Promise((_, rej) =>
                  cs.signal.addEventListener("abort", () => rej(cs.signal.reason)),
                );
              }),
          });
          childId = child.id;
          childOutcome = child.done;
          const snap = await child.done;
          if (snap.status !== "ok") throw new Error(`child ${snap.status}`);
        });
      },
    });
    await childWaits;
    // an unrelated locking operation on the instance is still refused while the family runs
    const other = await t.core.operations.start("test", {
      kind: "x",
      title: "Intruder",
      actor: "admin",
      instanceId: 78,
      lock: true,
      steps: ["x"],
      run: async () => {},
    }).done;
    expect(other.error?.code).toBe("E_BUSY");
    expect(t.core.operations.get(childId)?.parentId).toBe(parent.id);
    expect((await t.admin.page(`/operations/${childId}`)).html).toContain(`href="/operations/${parent.id}"`);
    t.core.operations.cancel(parent.id);
    const [p, c] = await Promise.all([parent.done, childOutcome as unknown as Promise<{ status: string }>]);
    expect(p.steps[0]).toMatchObject({ name: "backup", status: "ok", result: 7 });
    expect(c.status).toBe("cancelled");
    expect(p.status).toBe("cancelled");
    // the lock is released with the parent
    const after = await t.core.operations.start("test", {
      kind: "x",
      title: "After",
      actor: "admin",
      instanceId: 78,
      lock: true,
      steps: [],
      run: async () => "free",
    }).done;
    expect(after.status).toBe("ok");
  });

  test("a child operation needs a running parent on the same instance", async () => {
    const orphan = await t.core.operations.start("test", {
      kind: "x",
      title: "Orphan",
      actor: "admin",
      instanceId: 79,
      lock: true,
      parentId: "no-such-operation",
      steps: [],
      run: async () => {},
    }).done;
    expect(orphan.error?.code).toBe("E_VALIDATION");
  });
});
