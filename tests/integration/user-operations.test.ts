/**
 * odoodeck's users as operations (users.list/add/passwd/role/unlock): admin only, passwords in
 * but never out nor in the audit log, and the old JSON paths answer through the same executor.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestApp, type TestApp, TestClient } from "../helpers/app.ts";

const PASSWORD = "a long enough first password";
const NEW_PASSWORD = "another long enough password";
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ plugins: [] });
});
afterAll(() => t.stop());

const op = (c: TestClient, id: string, input: Record<string, unknown>) =>
  c.postJson(`/api/v1/ops/${id}`, input);

async function signIn(username: string, password: string): Promise<TestClient> {
  const c = new TestClient(t.url);
  await c.page("/login");
  await c.post("/login", { username, password, next: "/" });
  return c;
}
const me = async (c: TestClient) => (await c.getJson("/api/v1/me")).body.data?.username ?? null;

describe("users as operations", () => {
  test("a viewer may not list or add users", async () => {
    const viewer = await t.client("viewer", "users-ops-viewer");
    expect((await op(viewer, "users.list", {})).status).toBe(403);
    const r = await op(viewer, "users.add", { username: "mallory", password: PASSWORD, role: "admin" });
    expect(r.body.error.code).toBe("E_FORBIDDEN");
    expect((await t.admin.getJson("/api/v1/users")).body.data.map((u: any) => u.username)).not.toContain(
      "mallory",
    );
  });

  test("users.add: the new user signs in with that password; the answer and the audit hold no password", async () => {
    const r = await op(t.admin, "users.add", { username: "ann", password: PASSWORD, role: "operator" });
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ username: "ann", role: "operator", disabled: 0 });
    expect(JSON.stringify(r.body)).not.toContain(PASSWORD);
    expect(await me(await signIn("ann", PASSWORD))).toBe("ann");
    const weak = await op(t.admin, "users.add", { username: "bob", password: "short", role: "viewer" });
    expect(weak.body.error.code).toBe("E_VALIDATION");
    const twice = await op(t.admin, "users.add", { username: "ann", password: PASSWORD, role: "viewer" });
    expect(twice.body.error.code).toBe("E_CONFLICT");
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["target", "result", "details"])
      .where("action", "=", "users.add")
      .orderBy("id")
      .execute();
    // The viewer's refusal comes before the input is read: no target.
    expect(audit.map((a) => [a.target, a.result])).toEqual([
      [null, "error"],
      ["user:ann", "ok"],
      ["user:bob", "error"],
      ["user:ann", "error"],
    ]);
    expect(JSON.stringify(audit)).not.toContain(PASSWORD);
  });

  test("the old POST /api/v1/users answers 201 through the executor; GET lists through users.list", async () => {
    const r = await t.admin.postJson("/api/v1/users", {
      username: "carl",
      password: PASSWORD,
      role: "viewer",
    });
    expect(r.status).toBe(201);
    expect(r.body.data.username).toBe("carl");
    const list = await t.admin.getJson("/api/v1/users");
    expect(list.body.data).toEqual((await op(t.admin, "users.list", {})).body.data);
    expect(list.body.data.map((u: any) => u.username)).toContain("carl");
    expect(JSON.stringify(list.body)).not.toContain("password_hash");
  });

  test("users.passwd: the old session is signed out, the new password works, the old one no longer", async () => {
    const before = await signIn("carl", PASSWORD);
    expect(await me(before)).toBe("carl");
    const r = await op(t.admin, "users.passwd", { user: "carl", password: NEW_PASSWORD });
    expect(r.body.data).toMatchObject({ username: "carl", signedOut: true });
    expect(await me(before)).toBeNull();
    expect(await me(await signIn("carl", NEW_PASSWORD))).toBe("carl");
    expect(await me(await signIn("carl", PASSWORD))).toBeNull();
    expect(
      (await op(t.admin, "users.passwd", { user: "nobody", password: NEW_PASSWORD })).body.error.code,
    ).toBe("E_NOT_FOUND");
  });

  test("users.role: ann becomes viewer, then disabled and signed out; the last admin keeps the role", async () => {
    const ann = await signIn("ann", PASSWORD);
    const r = await op(t.admin, "users.role", { user: "ann", role: "viewer" });
    expect(r.body.data).toMatchObject({ username: "ann", role: "viewer", disabled: 0 });
    expect((await op(ann, "users.list", {})).status).toBe(403);
    const off = await op(t.admin, "users.role", { user: "ann", disabled: true });
    expect(off.body.data.disabled).toBe(1);
    expect(await me(ann)).toBeNull();
    const last = await op(t.admin, "users.role", { user: "admin", role: "viewer" });
    expect(last.body.error.code).toBe("E_CONFLICT");
    expect((await op(t.admin, "users.role", { user: "ann" })).body.error.code).toBe("E_VALIDATION");
  });

  test("users.unlock: a user locked out by failed sign-ins can sign in again", async () => {
    let locked = false;
    for (let i = 0; i < 30 && !locked; i++) {
      const c = new TestClient(t.url);
      await c.page("/login");
      const res = await c.post("/login", { username: "carl", password: "wrong password here", next: "/" });
      locked = res.status === 429 || (await res.text()).includes("Too many");
    }
    expect(locked).toBe(true);
    expect(await me(await signIn("carl", NEW_PASSWORD))).toBeNull();
    const r = await op(t.admin, "users.unlock", { user: "carl" });
    expect(r.body.data.lockedAddresses).toBeGreaterThan(0);
    expect(await me(await signIn("carl", NEW_PASSWORD))).toBe("carl");
  });
});
