/**
 * A store from before notifications became a plugin: its channels, rules and deliveries are still
 * there after the upgrade, under the plugin's table names, and the page lists them.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { coreMigrations } from "../../migrations/index.ts";
import notifications from "../../plugins/notifications/index.ts";
import { migrateOwner } from "../../server/db/migrate.ts";
import { openStore } from "../../server/db/open.ts";
import { SecretBox } from "../../server/secrets.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { wholeStore } from "../helpers/store.ts";

const dataDir = mkdtempSync(join(tmpdir(), "odoodeck-notify-upgrade-"));
let t: TestApp | null = null;
afterAll(async () => {
  await t?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("channels, rules and deliveries made before the plugin survive the upgrade", async () => {
  const before = Object.fromEntries(
    Object.entries(coreMigrations).filter(([name]) => name < "0008-notifications-plugin"),
  );
  const store = openStore(join(dataDir, "odoodeck.db"));
  await migrateOwner(store.db, "core", before);
  const secrets = SecretBox.load(dataDir);
  const now = new Date().toISOString();
  const ch = await wholeStore(store.db)
    .insertInto("notification_channels")
    .values({
      name: "legacy-hook",
      kind: "webhook",
      config: secrets.encrypt(JSON.stringify({ url: "https://hooks.example.com/x" })),
      enabled: 1,
      created_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await wholeStore(store.db)
    .insertInto("notification_rules")
    .values({ event: "backup.overdue", status: null, channel_id: ch.id, created_at: now })
    .execute();
  await wholeStore(store.db)
    .insertInto("notification_deliveries")
    .values({
      channel_id: ch.id,
      event: "backup.overdue",
      payload: "{}",
      status: "failed",
      attempts: 6,
      last_error: "legacy failure kept",
      next_attempt_at: now,
      created_at: now,
    })
    .execute();
  await store.close();

  t = await startTestApp({ dataDir, plugins: [notifications] });
  const { res, html } = await t.admin.page("/p/notifications");
  expect(res.status).toBe(200);
  expect(html).toContain("legacy-hook");
  expect(html).toContain("hooks.example.com");
  expect(html).toContain("<code>backup.overdue</code>");
  expect(html).toContain("legacy failure kept");
  const tables = await t.core.db.introspection.getTables();
  expect(tables.map((x) => x.name).filter((n) => n.startsWith("notification"))).toEqual([
    "notifications_channels",
    "notifications_deliveries",
    "notifications_migrations",
    "notifications_migrations_lock",
    "notifications_rules",
  ]);
  // The old address still leads there.
  const old = await t.admin.get("/notifications");
  expect([old.status, old.headers.get("location")]).toEqual([301, "/p/notifications"]);
});
