/**
 * Previews end to end with real components: a PostgreSQL template of acme_prod, hard links on
 * disk, a git repository made here, the stand-in odoo-bin run by the managed runtime, odoodeck's
 * own proxy (HTTP and WebSocket), signed webhooks and a stand-in provider API that records the
 * commit status.
 */
import { spareDb, sparesSettled } from "../../plugins/previews/build/spare.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHmac } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PreviewsService } from "../../plugins/previews/service.ts";
import type { TestApp } from "../helpers/app.ts";
import { getPg } from "../helpers/pg.ts";
import {
  dropPreviews,
  gitIn,
  PREVIEW_DOMAIN,
  previewsWithTemplate,
  previewTestSettings,
} from "../helpers/previews.ts";
import { odooProcesses, waitGone } from "../helpers/runtime.ts";

let t: TestApp;
let svc: PreviewsService;
let dir: string;
let repo: string;
let acmeData: string;
let instanceId: number;
const DOMAIN = PREVIEW_DOMAIN;
const calls: Array<{ path: string; auth: string | null; body: any }> = [];
let provider: ReturnType<typeof Bun.serve>;

const git = (...args: string[]) => gitIn(repo, ...args);

function settings(values: Record<string, unknown>) {
  return previewTestSettings(t, dir, {
    webhook_secret: "s3cret",
    status_api_base: `http://127.0.0.1:${provider.port}/api/v3`,
    status_api_token: "tok",
    ...values,
  });
}

const viaProxy = (name: string, path: string, init: RequestInit = {}) =>
  fetch(`${t.url}${path}`, {
    ...init,
    headers: { ...(init.headers ?? {}), Host: `${name}.${DOMAIN}` },
    redirect: "manual",
  });

/** Sends `msg` once the socket opens; the first message back (the stand-in echoes), then closes. */
async function echoOf(ws: WebSocket, msg: string): Promise<string> {
  try {
    return await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send(msg);
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("websocket failed"));
      setTimeout(() => reject(new Error("no echo")), 10_000);
    });
  } finally {
    ws.close();
  }
}

async function dbExists(name: string): Promise<boolean> {
  const pg = await getPg();
  return (
    (await pg.psql("postgres", `SELECT count(*) FROM pg_database WHERE datname = '${name}'`)).trim() === "1"
  );
}

/** The arguments of each boot of a preview's stand-in Odoo (it appends them to its data_dir). */
function bootsOf(workDir: string): string[][] {
  return readFileSync(join(workDir, "data", "stand-in-boots"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as string[]);
}

const installArgs = (argv: string[]) =>
  argv.filter((a, i) => ["-i", "-u"].includes(a) || ["-i", "-u"].includes(argv[i - 1]));

async function created(name: string, branch = "feature") {
  const r = await svc.create({ name, template: "acme", branch, owner: "admin" }, "admin");
  return r.done;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-previews-"));
  provider = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      calls.push({
        path: new URL(req.url).pathname,
        auth: req.headers.get("authorization"),
        body: await req.json(),
      });
      return Response.json({ id: 1 }, { status: 201 });
    },
  });
  ({
    t,
    svc,
    repo,
    instanceId,
    acme: { data: acmeData },
  } = await previewsWithTemplate(dir));
  await settings({});
}, 240_000);

afterAll(async () => {
  await dropPreviews(svc);
  await t.stop();
  provider.stop(true);
  rmSync(dir, { recursive: true, force: true });
  // Destroying the previews and the template databases outlasts bun's 5 s default on a loaded machine.
}, 120_000);

describe("templates", () => {
  test("the template is a neutralized copy that nobody connects to, with its report kept", async () => {
    const pg = await getPg();
    const row = await pg.psql(
      "postgres",
      "SELECT datistemplate, datallowconn FROM pg_database WHERE datname = 'acme_tpl'",
    );
    expect(row.trim()).toBe("t|f");
    const tpl = (await svc.store.template("acme"))!;
    expect(tpl.status).toBe("ready");
    const report = tpl.report as { via: string; checks: Array<{ ok: boolean }> };
    expect(report.via).toBe("backup.neutralize");
    // the backup plugin's own service ran: the template's mail goes to a mailbox of its own
    expect(JSON.stringify(report)).toContain("odoodeck's mail catcher (mailbox");
    expect(report.checks.every((c) => c.ok)).toBe(true);
  });
});

describe("a preview", () => {
  test("is cloned, hard-linked, checked out, started and passes the smoke gate", async () => {
    const snap = await created("feat");
    expect(snap.status).toBe("ok");
    const p = (await svc.store.get("feat"))!;
    expect(p.status).toBe("running");
    expect(p.smoke?.ok).toBe(true);
    expect(p.smoke?.checks.map((c) => c.name)).toEqual(["ready", "login", "log", "modules"]);
    expect(Object.keys(p.modules ?? {})).toEqual(["preview_mod"]);
    expect(await dbExists("p_feat")).toBe(true);
    // The filestore is the template's files, linked: the same inode under the instance's,
    // the template's and the preview's name (no byte copied).
    const fs = join(p.workDir, "data", "filestore", "p_feat");
    const sub = readdirSync(fs)[0];
    const leaf = readdirSync(join(fs, sub))[0];
    const tplFile = join((await svc.store.template("acme"))!.filestore, sub, leaf);
    expect(statSync(join(fs, sub, leaf)).ino).toBe(statSync(tplFile).ino);
    expect(statSync(join(fs, sub, leaf)).nlink).toBe(3);
    const pg = await getPg();
    const partners = await pg.psql("p_feat", "SELECT count(*) FROM res_partner");
    expect(partners.trim()).toBe("101");
    const mail = await pg.psql(
      "p_feat",
      "SELECT count(*) FROM ir_mail_server WHERE active AND smtp_host = 'smtp.acme-corp.example'",
    );
    expect(mail.trim()).toBe("0");
    // Odoo booted once: the serving process installed the branch's module itself (-i), with no
    // separate --stop-after-init run before it.
    const boots = bootsOf(p.workDir);
    expect(boots.map(installArgs)).toEqual([["-i", "preview_mod"]]);
    expect(boots[0]).not.toContain("--stop-after-init");
    expect(
      (await pg.psql("p_feat", "SELECT state FROM ir_module_module WHERE name = 'preview_mod'")).trim(),
    ).toBe("installed");
    expect((await svc.store.get("feat"))!.smoke?.checks.find((c) => c.name === "modules")?.ok).toBe(true);
  }, 120_000);

  test("the proxy serves it over HTTP and WebSocket at <name>.<preview domain>", async () => {
    const res = await viaProxy("feat", "/web/login");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("oe_login_form");
    // odoodeck's own pages are not served under a preview's name
    const notDeck = await viaProxy("feat", "/p/previews");
    expect(notDeck.status).toBe(404);
    const ws = new WebSocket(`${t.url.replace("http", "ws")}/websocket`, {
      headers: { Host: `feat.${DOMAIN}` },
    } as never);
    expect(await echoOf(ws, "ping from the bus")).toBe("ping from the bus");
  }, 30_000);

  test("with a certificate for *.<preview domain>, the preview is served over HTTPS (and wss)", async () => {
    const tls = join(dir, "tls");
    mkdirSync(tls);
    const ssl = (...args: string[]) => {
      const r = Bun.spawnSync(["openssl", ...args], { cwd: tls });
      if (r.exitCode !== 0) throw new Error(r.stderr.toString());
    };
    ssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=odoodeck test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=keyCertSign",
    );
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "key.pem",
      "-out",
      "csr.pem",
      "-subj",
      `/CN=*.${DOMAIN}`,
    );
    writeFileSync(join(tls, "ext.cnf"), `subjectAltName=DNS:*.${DOMAIN}\n`);
    ssl(
      "x509",
      "-req",
      "-in",
      "csr.pem",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "cert.pem",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
    );
    const ca = readFileSync(join(tls, "ca.pem"), "utf8");
    await t.admin.page("/settings");
    const saved = await t.admin.post("/settings/previews", {
      preview_tls_cert: join(tls, "cert.pem"),
      preview_tls_key: join(tls, "key.pem"),
      preview_https_port: "0",
    });
    expect(saved.status).toBe(200);
    // The previews page shows the https URL once the listener serves; its port is in it.
    let url = "";
    for (let i = 0; i < 50 && !url; i++) {
      const { html } = await t.admin.page("/p/previews");
      url = /href="(https:\/\/feat\.preview\.test:\d+\/)"/.exec(html)?.[1] ?? "";
      if (!url) await Bun.sleep(100);
    }
    expect(url).toMatch(/^https:\/\/feat\.preview\.test:\d+\/$/);
    const port = new URL(url).port;
    const https = (name: string, path: string) =>
      fetch(`https://127.0.0.1:${port}${path}`, {
        headers: { Host: `${name}.${DOMAIN}` },
        tls: { ca, serverName: `${name}.${DOMAIN}` },
      } as RequestInit);
    const res = await https("feat", "/web/login");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("oe_login_form");
    // odoodeck's own pages are not on this listener
    const deck = await fetch(`https://127.0.0.1:${port}/login`, {
      tls: { ca, serverName: `x.${DOMAIN}` },
    } as RequestInit);
    expect(deck.status).toBe(421);
    const ws = new WebSocket(`wss://127.0.0.1:${port}/websocket`, {
      headers: { Host: `feat.${DOMAIN}` },
      tls: { ca, serverName: `feat.${DOMAIN}` },
    } as never);
    expect(await echoOf(ws, "ping over tls")).toBe("ping over tls");
    // Without a certificate the listener goes and URLs say http again.
    await t.admin.post("/settings/previews", { preview_tls_cert: "", preview_tls_key: "" });
    let closed = false;
    for (let i = 0; i < 50 && !closed; i++) {
      closed = await https("feat", "/web/login").then(
        () => false,
        () => true,
      );
      if (!closed) await Bun.sleep(100);
    }
    expect(closed).toBe(true);
    expect((await t.admin.page("/p/previews")).html).toContain(`href="http://feat.${DOMAIN}/"`);
  }, 60_000);

  test("a stopped preview answers a waiting page and wakes on request", async () => {
    await svc.stop("feat");
    expect(odooProcesses("preview-feat").length).toBe(0);
    const first = await viaProxy("feat", "/web/login");
    expect(first.status).toBe(503);
    expect(await first.text()).toContain('http-equiv="refresh"');
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await Bun.sleep(100);
      status = (await viaProxy("feat", "/web/login")).status;
    }
    expect(status).toBe(200);
    const p = (await svc.store.get("feat"))!;
    expect(p.status).toBe("running");
    // The wake was a second boot, without -i/-u: the module was installed by the first.
    expect(bootsOf(p.workDir).map(installArgs)).toEqual([["-i", "preview_mod"], []]);
  }, 30_000);

  test("update upgrades only the modules whose content changed", async () => {
    mkdirSync(join(repo, "second_mod"), { recursive: true });
    writeFileSync(join(repo, "second_mod", "__manifest__.py"), "{'name': 'Second'}\n");
    git("checkout", "-q", "feature");
    git("add", ".");
    git("commit", "-qm", "second module");
    git("checkout", "-q", "main");
    const r = await svc.update("feat", "admin");
    const snap = await r.done;
    expect(snap.status).toBe("ok");
    expect((snap.result as { upgraded: string[] }).upgraded).toEqual(["second_mod"]);
    // One boot for the update: the new module installed by the serving process itself.
    const boots = bootsOf((await svc.store.get("feat"))!.workDir);
    expect(boots.slice(2).map(installArgs)).toEqual([["-i", "second_mod"]]);
    expect((await svc.store.get("feat"))!.commitSha).toBe(git("rev-parse", "feature"));
  }, 60_000);

  test("its page shows its health and links to its logs, mails and modules", async () => {
    const { html } = await t.admin.page("/p/previews/feat");
    expect(html).toMatch(/class="health">.*\/web\/health answers \(\d+ ms\)/s);
    expect(html).toMatch(/class="process">running, pid \d+/);
    const links = [...html.matchAll(/<nav class="actions" id="preview-links">(.*?)<\/nav>/gs)][0][1];
    const hrefs = [...links.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual([
      "/p/previews/feat/logs",
      "/p/previews/feat/modules",
      `/p/mail-catcher/i/${instanceId}/db/p_feat`,
    ]);
    const logs = (await t.admin.page(hrefs[0])).html;
    expect(logs).toMatch(/id="odoo-log">[^<]*Odoo version/);
    expect(logs).toMatch(/id="init-log">[^<]*module second_mod: installed/);
    const mods = (await t.admin.page(hrefs[1])).html;
    expect(mods).toMatch(/data-module="preview_mod">.*?class="state">installed/s);
    expect(mods).toMatch(/data-module="second_mod">.*?class="state">installed/s);
    expect((await t.admin.get(hrefs[2])).status).toBe(200);
    // A stopped preview says so rather than showing a stale health.
    await svc.stop("feat");
    expect((await t.admin.page("/p/previews/feat")).html).toContain("not running (stopped)");
    await svc.wake("feat");
    expect(installArgs(bootsOf((await svc.store.get("feat"))!.workDir).at(-1)!)).toEqual([]);
  }, 30_000);

  test("the templates page makes a template from an instance and refreshes it; a viewer only sees it", async () => {
    const pg = await getPg();
    try {
      const page = await t.admin.page("/p/previews/templates");
      expect(page.html).toMatch(/data-template="acme">.*?class="report">\d+\/\d+ checks passed/s);
      const made = await t.admin.post("/p/previews/templates", {
        name: "acme2",
        instance: String(instanceId),
        repo,
      });
      expect(made.status).toBe(303);
      expect(made.headers.get("location")).toMatch(/^\/operations\//);
      const waitReady = async (after: string | null) => {
        // A template copies and neutralizes a database: allow for a loaded machine (it took 60 s+).
        for (let i = 0; i < 1500; i++) {
          const tpl = await svc.store.template("acme2");
          if (tpl?.status === "ready" && tpl.refreshedAt !== after) return tpl;
          if (tpl?.status === "failed") throw new Error(tpl.error ?? "failed");
          await Bun.sleep(100);
        }
        throw new Error("template not ready");
      };
      const first = await waitReady(null);
      expect(await dbExists("acme2_tpl")).toBe(true);
      const listed = (await t.admin.page("/p/previews/templates")).html;
      expect(listed).toMatch(/data-template="acme2">.*?data-status="ready"/s);
      const refreshed = await t.admin.post("/p/previews/templates/acme2/refresh");
      expect(refreshed.status).toBe(303);
      expect((await waitReady(first.refreshedAt)).refreshedAt).not.toBe(first.refreshedAt);
      const viewer = await t.client("viewer");
      const seen = (await viewer.page("/p/previews/templates")).html;
      expect(seen).toContain('data-template="acme2"');
      expect(seen).not.toContain("Refresh from production");
      expect(seen).not.toContain('id="template-form"');
      expect((await viewer.post("/p/previews/templates/acme2/refresh")).status).toBe(403);
    } finally {
      await sparesSettled();
      await pg.dropDb(spareDb("acme2_tpl")).catch(() => {});
      await pg.psql("postgres", "ALTER DATABASE acme2_tpl IS_TEMPLATE false").catch(() => {});
      await pg.dropDb("acme2_tpl").catch(() => {});
    }
  }, 400_000);

  test("as root, the preview's data_dir and filestore belong to the instance's Odoo service user", async () => {
    expect(process.getuid?.()).toBe(0);
    const chown = (owner: string) => Bun.spawnSync(["chown", "-R", owner, acmeData]);
    chown("4242:4243"); // the instance's data_dir, as the Odoo service user owns it
    try {
      const snap = await created("owned");
      expect(snap.status).toBe("ok");
      const data = join((await svc.store.get("owned"))!.workDir, "data");
      const fs = join(data, "filestore", "p_owned");
      const sub = join(fs, readdirSync(fs)[0]);
      const leaf = join(sub, readdirSync(sub)[0]);
      for (const path of [data, fs, sub, leaf])
        expect([path, statSync(path).uid, statSync(path).gid]).toEqual([path, 4242, 4243]);
    } finally {
      chown("0:0");
      await svc.destroy("owned").catch(() => {});
    }
  }, 60_000);

  test("a failed smoke gate keeps the failing step, the init log and the database", async () => {
    await settings({ smoke_password: "wrong" });
    try {
      const snap = await created("broken");
      expect(snap.status).toBe("error");
    } finally {
      await settings({});
    }
    const p = (await svc.store.get("broken"))!;
    expect(p.status).toBe("failed");
    expect(p.failedStep).toBe("smoke");
    expect(await dbExists("p_broken")).toBe(true);
    const { html } = await t.admin.page("/p/previews/broken");
    expect(html).toContain('class="failed-step">smoke');
    expect(html).toContain("could not sign in");
    expect(html).toContain("module preview_mod: installed");
  }, 60_000);

  test("a failing install fails at step install, with Odoo's init log and the database kept", async () => {
    git("checkout", "-q", "-b", "bad-install", "feature");
    mkdirSync(join(repo, "bad_mod"), { recursive: true });
    writeFileSync(join(repo, "bad_mod", "__manifest__.py"), "{'name': 'Bad', 'depends': ['base']}\n");
    writeFileSync(join(repo, "bad_mod", "__init__.py"), "raise ImportError('bad_mod cannot load')\n");
    git("add", ".");
    git("commit", "-qm", "a module that fails to load");
    git("checkout", "-q", "main");
    try {
      const snap = await created("badinst", "bad-install");
      expect(snap.status).toBe("error");
      const p = (await svc.store.get("badinst"))!;
      expect(p.status).toBe("failed");
      expect(p.failedStep).toBe("install");
      expect(p.error).toContain("Failed to initialize database `p_badinst`");
      expect(await dbExists("p_badinst")).toBe(true);
      // Odoo 17 goes on serving after a failed init: the preview stopped it.
      expect(bootsOf(p.workDir).length).toBe(1);
      expect(odooProcesses(p.workDir).length).toBe(0);
      const { html } = await t.admin.page("/p/previews/badinst");
      expect(html).toContain('class="failed-step">install');
      expect(html).toMatch(
        /id="init-log">[^<]*Failed to initialize database `p_badinst`[^<]*bad_mod failed to load/,
      );
    } finally {
      await svc.destroy("badinst").catch(() => {});
    }
  }, 60_000);

  /** A branch `branch` off feature adding module `mod` whose __init__.py holds `init`. */
  function branchWithModule(branch: string, mod: string, init: string) {
    git("checkout", "-q", "-b", branch, "feature");
    mkdirSync(join(repo, mod), { recursive: true });
    writeFileSync(join(repo, mod, "__manifest__.py"), `{'name': '${mod}', 'depends': ['base']}\n`);
    writeFileSync(join(repo, mod, "__init__.py"), init);
    git("add", ".");
    git("commit", "-qm", `module ${mod}`);
    git("checkout", "-q", "main");
  }

  test("an Odoo killed mid-install without a word fails the install step at once, not after the hour", async () => {
    branchWithModule("vanish-install", "vanish_mod", "# stand-in: vanish\n");
    try {
      const snap = await created("vanish", "vanish-install");
      expect(snap.status).toBe("error");
      const p = (await svc.store.get("vanish"))!;
      expect(p.failedStep).toBe("install");
      expect(p.error).toContain("odoo-bin ended before its registry was loaded");
      expect(await waitGone(p.workDir)).toEqual([]);
    } finally {
      await svc.destroy("vanish").catch(() => {});
    }
  }, 60_000);

  test("a stuck install shows Odoo's last log line every 30 s; cancelling it stops that Odoo", async () => {
    branchWithModule("stuck-install", "stuck_mod", "# stand-in: hang\n");
    try {
      const r = await svc.create(
        { name: "stuck", template: "acme", branch: "stuck-install", owner: "admin" },
        "admin",
      );
      const opNow = async () => (await t.admin.getJson(`/api/v1/operations/${r.operationId}`)).body.data;
      let op = await opNow();
      for (let i = 0; i < 900 && !op.log.includes("still installing: "); i++) {
        await Bun.sleep(100);
        op = await opNow();
      }
      expect(op.status).toBe("running");
      expect(op.currentStep).toBe("install");
      expect(op.log).toMatch(/still installing: .*Loading module stuck_mod \(stand-in: hangs here\)/);
      const workDir = (await svc.store.get("stuck"))!.workDir;
      expect(odooProcesses(workDir).length).toBe(1);
      expect((await t.admin.postJson(`/api/v1/operations/${r.operationId}/cancel`, {})).status).toBe(200);
      expect((await r.done).status).toBe("cancelled");
      expect(await waitGone(workDir)).toEqual([]);
    } finally {
      await svc.destroy("stuck").catch(() => {});
    }
  }, 150_000);

  test("destroy leaves no database, folder, checkout or process", async () => {
    const p = (await svc.store.get("broken"))!;
    await svc.destroy("broken");
    expect(await dbExists("p_broken")).toBe(false);
    expect(() => statSync(p.workDir)).toThrow();
    expect(git("worktree", "list")).not.toContain(p.workDir);
    expect(odooProcesses("preview-broken").length).toBe(0);
    expect((await viaProxy("broken", "/web/login")).status).toBe(404);
  }, 30_000);

  test("the TTL job destroys an expired preview; a promoted one stays", async () => {
    await svc.promote("feat");
    const gone = await svc.expire(new Date(Date.now() + 365 * 24 * 3600_000));
    expect(gone).toEqual([]);
    await svc.store.update("feat", { promoted: false, expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(await svc.expire()).toEqual(["feat"]);
    expect(await dbExists("p_feat")).toBe(false);
  }, 30_000);

  test("no room: creation is refused with E_PREVIEWS_CAPACITY and nothing is made", async () => {
    await settings({ min_free_disk_mb: 1e9 });
    try {
      const res = await t.admin.postJson("/api/v1/ops/previews.create", {
        name: "full",
        template: "acme",
        branch: "feature",
      });
      expect(res.body.error.code).toBe("E_PREVIEWS_CAPACITY");
      expect(res.body.error.message).toContain("MB free");
    } finally {
      await settings({});
    }
    expect(await svc.store.get("full")).toBeNull();
  });
});

describe("pull-request webhooks", () => {
  const payload = (action: string) =>
    JSON.stringify({
      action,
      number: 7,
      pull_request: { number: 7, head: { ref: "feature", sha: git("rev-parse", "feature") } },
      repository: { full_name: "acme/addons" },
    });
  const send = (body: string, sig: string) =>
    fetch(`${t.url}/pub/previews/hooks/github/acme`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-GitHub-Event": "pull_request",
        "X-Hub-Signature-256": sig,
      },
      body,
    });
  const sign = (body: string, secret = "s3cret") =>
    `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

  test("a bad signature is refused and creates nothing", async () => {
    const body = payload("opened");
    const res = await send(body, sign(body, "not-the-secret"));
    expect(res.status).toBe(403);
    expect(await svc.store.get("acme-pr7")).toBeNull();
  });

  test("opened creates the preview and posts its status; closed tears it down", async () => {
    const body = payload("opened");
    const res = await send(body, sign(body));
    expect(res.status).toBe(202);
    for (let i = 0; i < 600 && !calls.length; i++) await Bun.sleep(100);
    expect(calls[0].path).toBe(`/api/v3/repos/acme/addons/statuses/${git("rev-parse", "feature")}`);
    expect(calls[0].auth).toBe("Bearer tok");
    expect(calls[0].body.description).toBe("Preview ready, smoke test passed");
    expect(calls[0].body.state).toBe("success");
    expect(calls[0].body.target_url).toBe(`http://acme-pr7.${DOMAIN}/`);
    const closed = payload("closed");
    expect((await send(closed, sign(closed))).status).toBe(202);
    expect(await svc.store.get("acme-pr7")).toBeNull();
    expect(await dbExists("p_acme_pr7")).toBe(false);
  }, 90_000);
});
