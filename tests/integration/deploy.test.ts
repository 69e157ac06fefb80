/**
 * Deploys end to end on real git repositories: a developer pushes to a bare "upstream", the
 * instance's addons path is a clone of it, its systemd unit runs the stand-in Odoo (through the
 * stand-in systemctl), the real backup plugin backs up acme_prod first, and a stand-in odoo-bin
 * damages the database and fails when told to upgrade broken code.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import backupPlugin from "../../plugins/backup/index.ts";
import { settings as backupSettings } from "../../plugins/backup/settings.ts";
import deployPlugin from "../../plugins/deploy/index.ts";
import { deploySettings } from "../../plugins/deploy/settings.ts";
import { writeSettings } from "../../server/plugin-host/settings.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { registerCleanup } from "../helpers/cleanup.ts";
import { extractFilestore } from "../helpers/fixtures.ts";
import { gitIn, makeUpstream, manifest } from "../helpers/git-repo.ts";
import { fixtureDb, getPg, type TestPg } from "../helpers/pg.ts";
import { freeLocalPort, odooProcesses, STAND_IN_TOOLS, waitGone } from "../helpers/runtime.ts";

let t: TestApp;
let pg: TestPg;
let dir: string;
let conf: string;
let db: string;
let id: number;
let up: ReturnType<typeof makeUpstream>;
const path = process.env.PATH;

/**
 * Stand-in odoo-bin: damages the database and fails when the view it upgrades says BROKEN; renames
 * partner 1 to UPGRADED and succeeds when it says RENAME (an upgrade that changes data).
 */
function odooBin(addons: string): string {
  const p = join(dir, "odoo-bin");
  writeFileSync(
    p,
    `#!/bin/sh
conf=""; db=""
for a in "$@"; do case "$prev" in -c) conf="$a";; -d) db="$a";; esac; prev="$a"; done
echo "stand-in odoo-bin: $*"
val() { sed -n "s/^$1 *= *//p" "$conf" | head -n 1; }
sql() { PGPASSWORD="$(val db_password)" psql -X -q -h "$(val db_host)" -p "$(val db_port)" -U "$(val db_user)" -d "$db" -c "$1"; }
if grep -q RENAME "${addons}/acme_sale/views/sale.xml"; then sql "UPDATE res_partner SET name = 'UPGRADED' WHERE id = 1"; exit 0; fi
grep -q BROKEN "${addons}/acme_sale/views/sale.xml" || exit 0
sql "UPDATE res_partner SET name = 'DAMAGED'"
echo "odoo.modules.loading: acme_sale: ParseError in views/sale.xml" >&2
exit 1
`,
  );
  chmodSync(p, 0o755);
  return p;
}

async function opDone(opId: string) {
  for (let i = 0; i < 1200; i++) {
    const o = (await t.admin.getJson(`/api/v1/operations/${opId}`)).body.data;
    if (o.status !== "running") return o;
    await Bun.sleep(50);
  }
  throw new Error(`operation ${opId} did not end`);
}
const stepStatus = (o: any) => Object.fromEntries(o.steps.map((s: any) => [s.name, s.status]));
const deploy = async (body: Record<string, unknown>) => {
  const r = await t.admin.postJson("/api/v1/ops/deploy.run", { instance: id, ...body });
  expect(r.status).toBe(202);
  return opDone(r.body.data.operationId);
};
const history = async () =>
  (await t.admin.postJson("/api/v1/ops/deploy.history", { instance: id })).body.data;

beforeAll(async () => {
  pg = await getPg();
  dir = mkdtempSync(join(tmpdir(), "odoodeck-deploy-"));
  process.env.PATH = `${STAND_IN_TOOLS}:${path}`;
  process.env.STAND_IN_STATE = dir;
  // The stand-in Odoo runs in its own session (as under systemd): it exits with this process
  // should the run be killed, and the end of the run kills whatever a late deploy restarted.
  process.env.STAND_IN_OWNER = String(process.pid);
  registerCleanup(() => {
    killStandIns();
  });
  up = makeUpstream(join(dir, "git"), {
    "acme_sale/__manifest__.py": manifest("ACME Sale", "17.0.1.0", ["views/sale.xml"]),
    "acme_sale/__init__.py": "from . import models\n",
    "acme_sale/models/__init__.py": "from . import sale\n",
    "acme_sale/models/sale.py": "X = 1\n",
    "acme_sale/views/sale.xml": "<odoo/>\n",
  });
  db = await fixtureDb("acme_prod");
  const data = join(dir, "data");
  mkdirSync(join(data, "filestore"), { recursive: true });
  renameSync(await extractFilestore("acme_prod", join(dir, "fs")), join(data, "filestore", db));
  conf = join(dir, "odoo-acme.service.conf");
  writeFileSync(
    conf,
    `[options]\nhttp_port = ${freeLocalPort()}\ndata_dir = ${data}\ndb_name = ${db}\naddons_path = ${up.server}\n` +
      `db_host = 127.0.0.1\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\n`,
  );
  t = await startTestApp({ plugins: [backupPlugin, deployPlugin] });
  await writeSettings(t.core.db, t.core.secrets, "backup", backupSettings, {
    localDir: join(dir, "backups"),
    defaultDestinations: "local",
  });
  await writeSettings(t.core.db, t.core.secrets, "deploy", deploySettings, {
    odooBin: odooBin(up.server),
    backupFirst: "data-changes",
    readyTimeoutS: 30,
  });
  id = await t.addLocalInstance({ name: "acme", confPath: conf, service: "odoo-acme", dbName: db });
  await Bun.spawn([join(STAND_IN_TOOLS, "systemctl"), "start", "odoo-acme.service"], {
    env: { ...process.env },
  }).exited;
}, 120_000);

/** Every stand-in odoo-bin of this test (the unit's server, an upgrade run), with its group. */
function killStandIns(): number[] {
  const left = conf ? odooProcesses(conf) : [];
  for (const pid of left) {
    try {
      process.kill(-pid, "SIGKILL"); // the unit's Odoo leads its own session
    } catch {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
  }
  return left;
}

// Runs even when a test timed out with a deploy still going: the unit is stopped as a user
// would, and anything left (a restart the deploy made after that) is killed, never leaked.
afterAll(async () => {
  try {
    await t?.stop();
  } finally {
    try {
      await Bun.spawn([join(STAND_IN_TOOLS, "systemctl"), "stop", "odoo-acme.service"], {
        env: { ...process.env },
      }).exited;
      const left = await waitGone(conf);
      killStandIns();
      expect(left).toEqual([]);
    } finally {
      process.env.PATH = path;
      delete process.env.STAND_IN_STATE;
      delete process.env.STAND_IN_OWNER;
      rmSync(dir, { recursive: true, force: true });
    }
  }
}, 60_000);

describe("deploy", () => {
  test("a Python-only change restarts Odoo, passes the smoke check, takes no backup", async () => {
    const before = odooProcesses(conf);
    expect(before).toHaveLength(1);
    const to = up.dev.commit("faster sale", { "acme_sale/models/sale.py": "X = 2\n" });
    up.push();
    const o = await deploy({ ref: "main" });
    expect(o.status).toBe("ok");
    expect(stepStatus(o)).toMatchObject({
      fetch: "ok",
      classify: "ok",
      backup: "skipped",
      checkout: "ok",
      odoo: "skipped",
      restart: "ok",
      smoke: "ok",
      rollback: "skipped",
    });
    expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(to);
    expect(gitIn(up.server, "symbolic-ref", "--short", "HEAD")).toBe("main");
    const now = odooProcesses(conf);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(before[0]);
    const [run] = await history();
    expect(run).toMatchObject({
      status: "ok",
      toCommit: to,
      backupName: null,
      trigger: "user",
      rolledBack: false,
    });
    expect(run.classification.action).toBe("restart");
  }, 120_000);

  test("an upgrade that fails rolls back the code and the database", async () => {
    const old = gitIn(up.server, "rev-parse", "HEAD");
    up.dev.commit("new view", { "acme_sale/views/sale.xml": "<odoo><!-- BROKEN --></odoo>\n" });
    up.push();
    const o = await deploy({ ref: "main" });
    expect(o.status).toBe("error");
    expect(o.error.code).toBe("E_COMMAND_FAILED");
    expect(stepStatus(o)).toMatchObject({
      classify: "ok",
      backup: "ok",
      checkout: "ok",
      stop: "ok",
      odoo: "error",
      rollback: "ok",
    });
    // Code: the commit that ran before; data: no partner left damaged; Odoo: up again.
    expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(old);
    expect((await pg.psql(db, "SELECT count(*) FROM res_partner WHERE name = 'DAMAGED'")).trim()).toBe("0");
    expect((await pg.psql(db, "SELECT count(*) FROM res_partner")).trim()).toBe("101");
    expect(odooProcesses(conf)).toHaveLength(1);
    const [run] = await history();
    expect(run).toMatchObject({ status: "failed", rolledBack: true });
    expect(run.classification.upgrade).toEqual(["acme_sale"]);
    expect(run.backupName).toBeTruthy();
  }, 180_000);

  test("Odoo logging an ERROR after the restart fails the smoke check and rolls the code back", async () => {
    const old = gitIn(up.server, "rev-parse", "HEAD");
    // The broken view above is fixed in the same push: what reaches the server is Python only.
    up.dev.commit("slower sale", {
      "acme_sale/models/sale.py": "X = 3\n",
      "acme_sale/views/sale.xml": "<odoo/>\n",
    });
    up.push();
    const flag = join(dir, "data", "stand-in-error");
    writeFileSync(flag, "");
    try {
      const o = await deploy({ ref: "main" });
      expect(o.status).toBe("error");
      expect(o.error.code).toBe("E_NOT_READY");
      expect(o.error.message).toContain("Failed to load registry");
      expect(stepStatus(o)).toMatchObject({ checkout: "ok", restart: "ok", smoke: "error", rollback: "ok" });
    } finally {
      rmSync(flag, { force: true });
    }
    expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(old);
    expect(odooProcesses(conf)).toHaveLength(1);
    const [run] = await history();
    expect(run).toMatchObject({ status: "failed", rolledBack: true, backupName: null });
    expect(run.classification.action).toBe("restart");
  }, 120_000);

  test("Roll back in the history puts a deploy's code and data back", async () => {
    const old = gitIn(up.server, "rev-parse", "HEAD");
    const name = async () => (await pg.psql(db, "SELECT name FROM res_partner WHERE id = 1")).trim();
    const before = await name();
    const to = up.dev.commit("renaming view", {
      "acme_sale/views/sale.xml": "<odoo><!-- RENAME --></odoo>\n",
    });
    up.push();
    const o = await deploy({ ref: "main" });
    expect(o.status).toBe("ok");
    expect(await name()).toBe("UPGRADED");
    expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(to);
    const [deployed] = await history();
    expect(deployed.backupName).toBeTruthy();
    // The user presses Roll back on that row (the page asks for the instance's name).
    await t.admin.page(`/p/deploy/i/${id}/code`);
    const res = await t.admin.post(`/p/deploy/i/${id}/code/runs/${deployed.id}/rollback`, {
      confirm: "acme",
    });
    expect(res.status).toBe(303);
    const r = await opDone(res.headers.get("location")!.split("/").pop()!);
    expect(r.status).toBe("ok");
    expect(stepStatus(r)).toMatchObject({ checkout: "ok", restore: "ok", restart: "ok" });
    expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(old);
    expect(await name()).toBe(before);
    expect((await pg.psql(db, "SELECT count(*) FROM res_partner")).trim()).toBe("101");
    expect(odooProcesses(conf)).toHaveLength(1);
    const [rollback, original] = await history();
    expect(rollback).toMatchObject({
      trigger: "rollback",
      rollbackOf: deployed.id,
      status: "ok",
      toCommit: old,
    });
    expect(original).toMatchObject({ id: deployed.id, rolledBack: true });
    const again = await t.admin.postJson("/api/v1/ops/deploy.rollback", {
      instance: id,
      run: deployed.id,
      confirm: "acme",
    });
    expect(again.body.error.code).toBe("E_CONFLICT");
    const { html } = await t.admin.page(`/p/deploy/i/${id}/code`);
    expect(html).toContain(`rollback of #${deployed.id}`);
    expect(html).toMatch(new RegExp(`data-run="${deployed.id}"[\\s\\S]*?rolled back`));
    // Upstream drops the renaming view; the server takes what is left (the Python change).
    up.dev.commit("no renaming", { "acme_sale/views/sale.xml": "<odoo/>\n" });
    up.push();
    expect((await deploy({ ref: "main" })).status).toBe("ok");
  }, 240_000);

  test("a ref that looks like an option is refused before anything runs", async () => {
    const r = await t.admin.postJson("/api/v1/ops/deploy.run", {
      instance: id,
      ref: "--upload-pack=touch /tmp/x",
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("E_VALIDATION");
  }, 30_000);
});

describe("push webhooks and the Code tab", () => {
  const secret = "s3cret-webhook-0123456789";
  let hookUrl: string;
  const sign = (body: string) => new Bun.CryptoHasher("sha256", secret).update(body).digest("hex");
  const send = (headers: Record<string, string>, body: string) =>
    fetch(`${t.url}${hookUrl}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body,
    });
  const payload = () =>
    JSON.stringify({ ref: "refs/heads/main", after: gitIn(up.dev.dir, "rev-parse", "HEAD") });
  const runs = async () => (await history()).length;

  test("an operator adds a hook on the Code tab; the URL is shown once, the secret never", async () => {
    // The broken view rolled back above is fixed upstream: what follows is static only.
    up.dev.commit("fix view", { "acme_sale/views/sale.xml": "<odoo/>\n" });
    await t.admin.page(`/p/deploy/i/${id}/code`);
    const res = await t.admin.post(`/p/deploy/i/${id}/code/hooks`, {
      repo: up.server,
      branch: "main",
      secret,
    });
    const html = await res.text();
    hookUrl = /Webhook URL \(shown once\): (\/pub\/deploy\/hooks\/[\w-]+)/.exec(html)![1];
    expect(html).not.toContain(secret);
    const again = (await t.admin.page(`/p/deploy/i/${id}/code`)).html;
    expect(again).not.toContain(hookUrl);
    expect(again).toContain("pushes to <strong>main</strong>");
  }, 30_000);

  for (const provider of ["github", "gitlab", "gitea"] as const) {
    test(`${provider}: a bad signature is refused, a good one deploys the push`, async () => {
      up.dev.commit(`${provider} asset`, { "acme_sale/static/src/app.js": `// ${provider}\n` });
      up.push();
      const body = payload();
      const good: Record<string, Record<string, string>> = {
        github: { "X-GitHub-Event": "push", "X-Hub-Signature-256": `sha256=${sign(body)}` },
        gitlab: { "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": secret },
        gitea: { "X-Gitea-Event": "push", "X-Gitea-Signature": sign(body) },
      };
      const bad: Record<string, Record<string, string>> = {
        github: { "X-GitHub-Event": "push", "X-Hub-Signature-256": `sha256=${sign(`${body} `)}` },
        gitlab: { "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": `${secret}x` },
        gitea: { "X-Gitea-Event": "push", "X-Gitea-Signature": sign(`${body} `) },
      };
      const n = await runs();
      const refused = await send(bad[provider], body);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as any).error.code).toBe("E_UNAUTHENTICATED");
      expect(await runs()).toBe(n);
      const res = await send(good[provider], body);
      const out = (await res.json()) as any;
      expect(res.status).toBe(202);
      const o = await opDone(out.data.operationId);
      expect(o.status).toBe("ok");
      const [run] = await history();
      expect(run).toMatchObject({ trigger: "webhook", actor: `webhook:${provider}`, status: "ok" });
      expect(run.classification.action).toBe("none");
      expect(run.classification.cacheBust).toBe(true);
      expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(gitIn(up.dev.dir, "rev-parse", "HEAD"));
    }, 60_000);
  }

  test("the Code tab shows the repository's commit, branch, clean state and the deploy history", async () => {
    const { html } = await t.admin.page(`/p/deploy/i/${id}/code`);
    const head = gitIn(up.server, "rev-parse", "HEAD");
    expect(html).toContain(`<code class="commit">${head.slice(0, 12)}</code>`);
    expect(html).toMatch(/<td>main<\/td>/);
    expect(html).toContain("clean");
    expect(html).toContain('data-action="restart"');
    expect(html).toContain('data-action="upgrade"');
    expect(html).toContain("rolled back");
    expect(html).toContain(">Roll back<");
    writeFileSync(join(up.server, "acme_sale", "models", "sale.py"), "X = 'edited on the server'\n");
    const dirty = await t.admin.page(`/p/deploy/i/${id}/code`);
    expect(dirty.html).toContain("dirty: 1 changed by hand");
    const refused = await t.admin.postJson("/api/v1/ops/deploy.run", { instance: id, ref: "main" });
    expect(refused.body.error.code).toBe("E_CONFLICT");
    gitIn(up.server, "checkout", "--", ".");
  }, 30_000);
});
