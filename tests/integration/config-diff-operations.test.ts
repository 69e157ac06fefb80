/**
 * The configuration plugin's declared operations over REST `/api/v1/ops/config-diff.*`: the same
 * masked answers as its JSON routes, one secret revealed to an admin only, audited without it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import configDiff from "../../plugins/config-diff/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";

const SECRET = "Adm1n-Pa55-not-to-leak";
let t: TestApp;
let dir: string;
let prodId: number;
let stagingId: number;
let viewer: TestClient;

/** A conf whose database refuses at once (port 1): the conf is read, the parameters are not. */
function conf(name: string, extra: string): string {
  const path = join(dir, `${name}.conf`);
  writeFileSync(path, `[options]\ndb_host = 127.0.0.1\ndb_port = 1\ndata_dir = ${dir}\n${extra}`);
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "config-ops-"));
  t = await startTestApp({ plugins: [configDiff] });
  prodId = await t.addLocalInstance({
    name: "cfg-prod",
    confPath: conf("prod", `admin_passwd = ${SECRET}\nworkers = 4\nproxy_mode = True\n`),
    production: true,
  });
  stagingId = await t.addLocalInstance({
    name: "cfg-staging",
    confPath: conf("staging", "admin_passwd = other-one\nworkers = 0\n"),
  });
  viewer = await t.client("viewer", "cfg-ops-viewer");
}, 60_000);
afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

const op = (c: TestClient, id: string, input: Record<string, unknown>) =>
  c.postJson(`/api/v1/ops/${id}`, input);

describe("configuration operations", () => {
  test("config-diff.show: the conf's rows, admin_passwd masked, as the JSON route answers", async () => {
    const r = await op(viewer, "config-diff.show", { instance: "cfg-prod" });
    expect(r.status).toBe(200);
    const row = (k: string) => r.body.data.rows.find((x: any) => x.key === k);
    expect(row("workers").value).toBe("4");
    expect(row("admin_passwd").secret).toBe(true);
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
    const route = await viewer.getJson(`/api/v1/config-diff/i/${prodId}`);
    expect(r.body.data.rows).toEqual(route.body.data.rows);
  });

  test("config-diff.diff: workers and proxy_mode differ; the passwords differ without showing", async () => {
    const r = await op(viewer, "config-diff.diff", { instance: prodId, other: stagingId });
    expect(r.status).toBe(200);
    const byKey = Object.fromEntries(r.body.data.conf.map((e: any) => [e.key, e.status]));
    expect(byKey).toMatchObject({ workers: "changed", proxy_mode: "only-left", admin_passwd: "changed" });
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
    const missing = await op(viewer, "config-diff.diff", { instance: prodId, other: 9999 });
    expect(missing.body.error.code).toBe("E_NOT_FOUND");
  });

  test("config-diff.history: every read is a snapshot", async () => {
    const r = await op(viewer, "config-diff.history", { instance: prodId });
    expect(r.status).toBe(200);
    expect(r.body.data.length).toBeGreaterThan(0);
  });

  test("config-diff.reveal: a viewer is refused; an admin reads it; the audit names the key, never the value", async () => {
    const refused = await op(viewer, "config-diff.reveal", {
      instance: prodId,
      scope: "conf",
      key: "admin_passwd",
    });
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).not.toContain(SECRET);
    const notSecret = await op(t.admin, "config-diff.reveal", {
      instance: prodId,
      scope: "conf",
      key: "workers",
    });
    expect(notSecret.body.error.code).toBe("E_VALIDATION");
    const r = await op(t.admin, "config-diff.reveal", {
      instance: prodId,
      scope: "conf",
      key: "admin_passwd",
    });
    expect(r.body.data).toEqual({ scope: "conf", key: "admin_passwd", value: SECRET });
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["actor", "target", "result", "details"])
      .where("action", "=", "config-diff.reveal")
      .orderBy("id")
      .execute();
    expect(audit.map((a) => [a.actor, a.target, a.result])).toEqual([
      ["cfg-ops-viewer", "instance:cfg-prod", "error"],
      ["admin", "conf:workers", "error"],
      ["admin", "conf:admin_passwd", "ok"],
    ]);
    expect(JSON.stringify(audit)).not.toContain(SECRET);
  });
});
