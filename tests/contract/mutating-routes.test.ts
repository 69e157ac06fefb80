/**
 * Every route that changes something is either run by an operation (so REST /ops, the CLI, MCP and
 * the page share role, production rule, lock and audit), or is on a short list with the reason it
 * is not. A new POST/PUT/DELETE route that is on neither list fails here: declare an operation and
 * call it with `ctx.operations.invoke`, or say why not. The "not yet" list is debt from the #17
 * audit; it may only shrink.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinPlugins } from "../../plugins/index.ts";
import { buildApp } from "../../server/app.ts";
import { loadConfig } from "../../server/config.ts";
import { Core } from "../../server/core.ts";

/** Route → the operation it runs (through ctx.operations.invoke / viaOperation). */
const OPERATION_BACKED: Record<string, string> = {
  "POST /api/v1/ops/:id": "*", // the REST surface of every operation
  "ALL /mcp": "*", // the MCP surface of every operation
  "POST /api/v1/servers": "servers.add",
  "POST /api/v1/servers/:id/test": "servers.test",
  "POST /api/v1/servers/:id/accept-key": "servers.accept-key",
  "POST /api/v1/instances": "instances.add",
  "POST /api/v1/users": "users.add",
  "POST /p/modules/i/:instance/modules/action": "modules.upgrade",
  "POST /p/modules/i/:instance/modules/actions/:op/rollback": "modules.rollback",
  "POST /p/modules/i/:instance/modules/record": "modules.record-checksums",
  "POST /api/v1/modules/i/:instance/actions": "modules.upgrade",
  "POST /api/v1/modules/i/:instance/actions/:op/rollback": "modules.rollback",
  "POST /api/v1/modules/i/:instance/record": "modules.record-checksums",
  "POST /p/logs/i/:instance/paths": "logs.add-path",
  "POST /p/logs/i/:instance/paths/delete": "logs.remove-path",
  "POST /api/v1/logs/i/:instance/scan": "logs.scan",
  "POST /api/v1/logs/i/:instance/paths": "logs.add-path",
  "DELETE /api/v1/logs/i/:instance/paths": "logs.remove-path",
  "POST /p/backup/i/:instance/restore": "backup.restore",
  "POST /api/v1/backup/i/:instance/restore": "backup.restore",
  "POST /p/backup/i/:instance/copy": "backup.copy",
  "POST /p/backup/i/:instance/pitr-restore": "backup.pitr-restore",
  "POST /api/v1/backup/i/:instance/copy": "backup.copy",
  "POST /p/backup/i/:instance/restore-tests/schedule": "backup.restore-test.schedule",
  "PUT /api/v1/backup/i/:instance/restore-tests/schedule": "backup.restore-test.schedule",
  "POST /p/backup/i/:instance/restore-tests/schedule/delete": "backup.restore-test.unschedule",
  "DELETE /api/v1/backup/i/:instance/restore-tests/schedule": "backup.restore-test.unschedule",
  "POST /p/backup/uploads/:id/delete": "backup.uploads.delete",
  "POST /api/v1/backup/uploads/:id/delete": "backup.uploads.delete",
  "POST /p/backup/i/:instance/restore-tests": "backup.restore-test",
  "POST /api/v1/backup/i/:instance/restore-tests": "backup.restore-test",
  "POST /instances/:id/runtime/:action": "instances.start",
  "POST /api/v1/instances/:id/:action{start|stop|restart}": "instances.start",
  "POST /p/deploy/i/:instance/code/deploy": "deploy.run",
  "POST /p/deploy/i/:instance/code/runs/:run/rollback": "deploy.rollback",
  "POST /p/deploy/i/:instance/code/hooks": "deploy.hooks.create",
  "POST /p/deploy/i/:instance/code/hooks/:hook/delete": "deploy.hooks.delete",
  "POST /p/deploy/i/:instance/code/credentials/key": "deploy.credentials.key",
  "POST /p/deploy/i/:instance/code/credentials/token": "deploy.credentials.token",
  "POST /p/deploy/i/:instance/code/credentials/remove": "deploy.credentials.remove",
  "POST /p/mail-catcher/mb/:id/retention": "mail-catcher.retention",
  "POST /p/mail-catcher/mb/:id/chaos": "mail-catcher.chaos",
  "POST /p/mail-catcher/m/:id/share": "mail-catcher.share",
  "POST /p/mail-catcher/m/:id/release": "mail-catcher.release",
  "POST /p/mail-catcher/i/:instance/inbound": "mail-catcher.inbound",
  "POST /p/previews/templates": "previews.template",
  "POST /p/previews/templates/:name/refresh": "previews.template",
  "POST /p/previews/new": "previews.create",
  "POST /p/previews/:name/update": "previews.update",
  "POST /p/previews/:name/reset": "previews.reset",
  "POST /p/previews/:name/promote": "previews.promote",
  "POST /p/previews/:name/destroy": "previews.destroy",
  "POST /p/previews/:name/certificate": "previews.certificate",
  "POST /p/previews/wildcard-certificate": "previews.wildcard-certificate",
  "POST /p/notifications/channels": "notifications.channels.add",
  "POST /p/notifications/channels/:id/delete": "notifications.channels.remove",
  "POST /p/notifications/channels/:id/test": "notifications.channels.test",
  "POST /p/notifications/rules": "notifications.rules.set",
  "POST /users/new": "users.add",
  "POST /users/:id": "users.role",
  "POST /users/:id/password": "users.passwd",
  "POST /users/:id/unlock": "users.unlock",
  "POST /tokens/new": "tokens.create",
  "POST /tokens/:id/revoke": "tokens.revoke",
  "POST /api/v1/tokens": "tokens.create",
  "DELETE /api/v1/tokens/:id": "tokens.revoke",
  "POST /settings/:plugin": "settings.set",
  "POST /operations/:id/cancel": "operations.cancel",
  "POST /api/v1/operations/:id/cancel": "operations.cancel",
  "POST /jobs/schedules": "jobs.add",
  "POST /jobs/schedules/:id/:action": "jobs.run", // and jobs.set-enabled (pause/resume), jobs.remove (delete)
  "POST /servers/new": "servers.add",
  "POST /servers/:id": "servers.edit",
  "POST /servers/:id/delete": "servers.remove",
  "POST /servers/:id/test": "servers.test",
  "POST /servers/:id/accept-key": "servers.accept-key",
  "POST /instances/new": "instances.add",
  "POST /instances/:id": "instances.edit",
  "POST /instances/:id/delete": "instances.remove",
  "DELETE /api/v1/instances/:id": "instances.remove",
  "POST /instances/:id/grants": "instances.grants.set",
  // config-diff, database, health, backup create/verify/schedule/rollbacks (#17, routes-pa)
  "POST /p/config-diff/i/:instance/config/reveal": "config-diff.reveal",
  "POST /api/v1/config-diff/i/:instance/reveal": "config-diff.reveal",
  "POST /p/database/i/:instance/database/vacuum": "database.vacuum",
  "POST /p/database/i/:instance/database/cancel": "database.cancel-query",
  "POST /p/database/i/:instance/database/drop-rollback": "database.drop-rollback",
  "POST /api/v1/database/i/:instance/vacuum": "database.vacuum",
  "POST /api/v1/database/i/:instance/cancel": "database.cancel-query",
  "POST /api/v1/database/i/:instance/drop-rollback": "database.drop-rollback",
  "POST /p/health/i/:instance/maintenance": "health.maintenance.set",
  "POST /api/v1/health/i/:instance/check": "health.check-now",
  "POST /api/v1/health/i/:instance/maintenance": "health.maintenance.set",
  "PUT /api/v1/health/i/:instance/overrides/:check": "health.override.set",
  "POST /p/backup/i/:instance/backups": "backup.create",
  "POST /api/v1/backup/instances/:instance/backups": "backup.create",
  "POST /p/backup/backups/:backup/verify": "backup.verify",
  "POST /api/v1/backup/backups/:backup/verify": "backup.verify",
  "POST /p/backup/i/:instance/rollbacks/:name/drop": "database.drop-rollback",
  "POST /api/v1/backup/i/:instance/rollbacks/:name/drop": "database.drop-rollback",
  "POST /p/backup/i/:instance/schedule": "backup.schedule.set",
};

/** Mutating routes that are not operations, on purpose. */
const ALLOWED: Record<string, string> = {
  // Sessions and first run: they make the principal an operation needs.
  "POST /login": "session",
  "POST /logout": "session",
  "POST /setup": "first run, before any user exists",
  "POST /account/password": "one's own password, session only (a token must not change it)",
  // Streaming uploads: a request body of gigabytes, not an input schema; the restore that uses it
  // is backup.restore (upload id or path).
  "POST /p/backup/i/:instance/restore/upload": "streaming upload",
  "POST /api/v1/backup/i/:instance/restore/upload": "streaming upload",
  // Public endpoints: no principal; each verifies its own secret (webhook token, provider signature).
  "POST /pub/deploy/hooks/:token": "webhook",
  "POST /pub/previews/hooks/:provider/:template": "webhook",
  // Mailpit's own API, for test suites that already speak it (mailbox-scoped, not an instance action).
  "DELETE /pub/mail-catcher/mailpit/:box/api/v1/messages": "Mailpit-compatible API",
  "DELETE /pub/mail-catcher/mailpit/:box/api/v1/search": "Mailpit-compatible API",
  "DELETE /api/v1/mail-catcher/mailpit/:box/api/v1/messages": "Mailpit-compatible API",
  "DELETE /api/v1/mail-catcher/mailpit/:box/api/v1/search": "Mailpit-compatible API",
};

/**
 * Debt (#17): mutating routes that do not run through the executor yet. Emptied in session 5
 * (65 routes); it stays empty: a new route declares its operation.
 */
const NOT_YET: Record<string, string> = {};

const dataDir = mkdtempSync(join(tmpdir(), "odoodeck-routes-"));
let core: Core;
let routes: string[];

beforeAll(async () => {
  core = await Core.open(
    loadConfig(
      { data: dataDir, port: "0", plugins: "false", "smtp-port": "0" } as Record<string, string>,
      {},
    ),
  );
  await core.startPlugins(builtinPlugins);
  const seen = new Set<string>();
  for (const r of buildApp(core).routes) {
    // `ALL /p/backup/*` and the like are middleware (plugin guards, CSRF), not routes.
    if (r.method === "GET" || r.method === "HEAD" || r.method === "OPTIONS") continue;
    if (r.method === "ALL" && r.path.endsWith("*")) continue;
    seen.add(`${r.method} ${r.path}`);
  }
  routes = [...seen];
}, 60_000);

afterAll(async () => {
  await core?.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

test("every mutating route runs an operation or is listed with its reason", () => {
  const unlisted = routes.filter((r) => !(r in OPERATION_BACKED) && !(r in ALLOWED) && !(r in NOT_YET));
  expect(unlisted).toEqual([]);
});

test("the lists name only routes that exist, and operations that are declared", () => {
  const listed = [...Object.keys(OPERATION_BACKED), ...Object.keys(ALLOWED), ...Object.keys(NOT_YET)];
  expect(listed.filter((r) => !routes.includes(r))).toEqual([]);
  const ids = new Set(core.liveOperations().map((d) => d.op.id));
  const missing = Object.values(OPERATION_BACKED).filter((id) => id !== "*" && !ids.has(id));
  expect(missing).toEqual([]);
});
