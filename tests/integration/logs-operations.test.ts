/**
 * The logs plugin's declared operations answer what its JSON routes answer, with the executor's
 * roles and audit: the same window, search hits and error groups over REST `/api/v1/ops/logs.*`.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import logs from "../../plugins/logs/index.ts";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { fixtureLogInstance, type LogsInstance } from "./logs-helpers.ts";

setDefaultTimeout(30_000);

let t: TestApp;
let fx: LogsInstance;
let viewer: TestClient;

beforeAll(async () => {
  t = await startTestApp({ plugins: [logs] });
  fx = await fixtureLogInstance(t, { name: "acme-ops" });
  viewer = await t.client("viewer", "logs-ops-viewer");
});
afterAll(async () => {
  await t.stop();
  const { rmSync } = await import("node:fs");
  rmSync(fx.dir, { recursive: true, force: true });
});

const op = (c: TestClient, id: string, input: Record<string, unknown>) =>
  c.postJson(`/api/v1/ops/${id}`, { instance: fx.id, ...input });

describe("reading through operations", () => {
  test("logs.sources names the conf's logfile, as GET …/sources does", async () => {
    const r = await op(viewer, "logs.sources", {});
    expect(r.status).toBe(200);
    expect(r.body.data.logfile).toBe(fx.log);
    expect(r.body.data.sources.map((s: any) => s.key)).toContain(fx.log);
    expect(r.body.data).toEqual((await viewer.getJson(`/api/v1/logs/i/${fx.id}/sources`)).body.data);
  });

  test("logs.records with level error: the fixture's 2 ERROR records, the same as the route", async () => {
    const r = await op(viewer, "logs.records", { level: "error" });
    expect(r.status).toBe(200);
    expect(r.body.data.records.map((x: any) => x.level)).toEqual(["ERROR", "ERROR"]);
    expect(r.body.data.records[0].message).toContain("Sync partners to CRM bridge");
    const route = await viewer.getJson(`/api/v1/logs/i/${fx.id}/records?level=error`);
    expect(r.body.data).toEqual(route.body.data);
    const few = await op(viewer, "logs.records", { limit: 3 });
    expect(few.body.data.records.length).toBe(3);
    expect(few.body.data.records.at(-1).message).toBe(
      (await viewer.getJson(`/api/v1/logs/i/${fx.id}/records?limit=3`)).body.data.records.at(-1).message,
    );
  });

  test("a bad filter is E_VALIDATION with the query string's message; a search needs a condition", async () => {
    const bad = await op(viewer, "logs.records", { level: "loud" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('Unknown level "LOUD"');
    const empty = await op(viewer, "logs.search", {});
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toBe("Give something to search for");
  });

  test("logs.search finds the UserError's traceback line across the files, capped by max", async () => {
    const r = await op(viewer, "logs.search", { q: "Remote CRM bridge unreachable" });
    expect(r.status).toBe(200);
    expect(r.body.data.count).toBeGreaterThan(0);
    for (const hit of r.body.data.records) expect(hit.source).toBe(fx.log);
    const first = r.body.data.records[0].record;
    expect([first.message, ...first.continuation].join("\n")).toContain("Remote CRM bridge unreachable");
    const one = await op(viewer, "logs.search", { level: "info", max: 1 });
    expect([one.body.data.count, one.body.data.limited]).toEqual([1, true]);
  });

  test("logs.errors-summary since a log time: the fixture's 2 kinds of error, as the route says", async () => {
    const since = "2026-11-22 00:00";
    const r = await op(viewer, "logs.errors-summary", { since });
    expect(r.status).toBe(200);
    expect(r.body.data.groups.length).toBe(2);
    expect(r.body.data.groups.map((g: any) => g.message).join("\n")).toContain(
      "Call from cron Sync partners to CRM bridge for server action #229 failed in Job #19",
    );
    const route = await viewer.getJson(`/api/v1/logs/i/${fx.id}/errors?since=${encodeURIComponent(since)}`);
    expect(r.body.data).toEqual(route.body.data);
  });
});

describe("changing the extra paths through operations", () => {
  test("a viewer is refused; an admin adds and removes a worker log, each audited once", async () => {
    const extra = join(fx.dir, "worker.log");
    writeFileSync(extra, "2026-11-22 20:30:00,000 99 INFO acme_prod odoo.worker: from the worker\n");
    const refused = await op(viewer, "logs.add-path", { path: extra });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("E_FORBIDDEN");
    const added = await op(t.admin, "logs.add-path", { path: extra });
    expect(added.status).toBe(200);
    expect(added.body.data.extraPaths.map((p: any) => p.path)).toEqual([extra]);
    const seen = await op(viewer, "logs.records", { source: extra });
    expect(seen.body.data.records.map((x: any) => x.message)).toEqual(["from the worker"]);
    const removed = await op(t.admin, "logs.remove-path", { path: extra });
    expect(removed.body.data.extraPaths).toEqual([]);
    const again = await op(t.admin, "logs.remove-path", { path: extra });
    expect(again.body.error.code).toBe("E_NOT_FOUND");
    const audit = await t.core.db
      .selectFrom("audit_log")
      .select(["action", "target", "result"])
      .where("action", "like", "logs.%-path")
      .orderBy("id")
      .execute();
    // The refusal comes before the input is read: its entry names the instance.
    expect(audit).toEqual([
      { action: "logs.add-path", target: "instance:acme-ops", result: "error" },
      { action: "logs.add-path", target: extra, result: "ok" },
      { action: "logs.remove-path", target: extra, result: "ok" },
      { action: "logs.remove-path", target: extra, result: "error" },
    ]);
  });

  test("a file that is not a log (odoodeck's own key) is refused and not added", async () => {
    const r = await op(t.admin, "logs.add-path", { path: join(t.dataDir, "secret.key") });
    expect(r.body.error.code).toBe("E_NOT_A_LOG");
    expect((await op(viewer, "logs.sources", {})).body.data.extraPaths).toEqual([]);
  });
});

test("download and follow stay routes (a file, a live stream), listed in openapi.json beside the operations", async () => {
  const doc = (await t.admin.getJson("/api/v1/openapi.json")).body;
  expect(doc.paths["/api/v1/logs/i/{instance}/download"]?.get).toBeDefined();
  expect(doc.paths["/api/v1/logs/i/{instance}/follow"]?.get).toBeDefined();
  expect(doc.paths["/api/v1/ops/logs.records"].post.summary).toBe("Read log records");
});
