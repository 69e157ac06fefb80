/**
 * A user granted one instance never reads another instance's name, on any page (issue 14).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";

let t: TestApp;
let dir: string;
let mine: number;
let user: TestClient;
const SECRET = "zeta-secret-client";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-visibility-"));
  t = await startTestApp();
  const conf = join(dir, "odoo.conf");
  writeFileSync(conf, "[options]\ndb_name = x\n");
  mine = await t.addLocalInstance({ name: "alpha-shop", confPath: conf });
  await t.addLocalInstance({ name: SECRET, confPath: conf });
  user = await t.client("none", "granted-one");
  const u = await t.core.db
    .selectFrom("users")
    .select("id")
    .where("username", "=", "granted-one")
    .executeTakeFirstOrThrow();
  await t.core.db
    .insertInto("grants")
    .values({ user_id: u.id, instance_id: mine, role: "operator" })
    .execute();
});
afterAll(async () => {
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("instance names reach only those who may see the instance", () => {
  for (const path of [
    "/",
    "/search?q=",
    "/palette.json",
    "/operations",
    "/jobs",
    "/p/mail-catcher/",
    "/p/health/",
  ])
    test(`${path} names the granted instance's neighbours nowhere`, async () => {
      const res = await user.get(path);
      const body = await res.text();
      expect(body).not.toContain(SECRET);
    });

  test("every tab of the granted instance names no other instance", async () => {
    const tabs = t.core
      .navEntries()
      .filter((n) => n.scope === "instance")
      .map((n) => `/p/${n.plugin}/i/${mine}${n.path}`);
    expect(tabs.length).toBeGreaterThan(5);
    for (const path of tabs) {
      const body = await (await user.get(path)).text();
      expect({ path, leaks: body.includes(SECRET) }).toEqual({ path, leaks: false });
    }
  });

  test("the granted instance's own page shows it, not the other one", async () => {
    const { res, html } = await user.page(`/instances/${mine}`);
    expect(res.status).toBe(200);
    expect(html).toContain("alpha-shop");
    expect(html).not.toContain(SECRET);
  });
});
