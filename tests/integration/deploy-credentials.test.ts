/**
 * Deploy keys and tokens as a user meets them: git hosts that refuse anonymous fetches (a dumb
 * HTTP server demanding Basic auth, the test sshd as an ssh:// remote), a token or a generated
 * ed25519 key stored by odoodeck, and the secret half never seen again in the operation log, the
 * audit or the page, nor left on the server's disk. Also: local commits a deploy would drop, the
 * webhook list as operations, and the instance card's repository block.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import deployPlugin from "../../plugins/deploy/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { gitIn, makeUpstream, manifest } from "../helpers/git-repo.ts";
import { freeLocalPort } from "../helpers/runtime.ts";
import { getSshd, type TestSshd } from "../helpers/sshd.ts";
import { wholeStore } from "../helpers/store.ts";

const TOKEN = `tok-${crypto.randomUUID()}`;
let t: TestApp;
let dir: string;
let id: number;
let up: ReturnType<typeof makeUpstream>;
let http: ReturnType<typeof Bun.serve>;
const authSeen: string[] = [];

/** A git host over dumb HTTP that answers only with the token (user x-access-token). */
function gitHost(root: string) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const auth = req.headers.get("authorization") ?? "";
      authSeen.push(auth);
      if (auth !== `Basic ${btoa(`x-access-token:${TOKEN}`)}`)
        return new Response("who are you", {
          status: 401,
          headers: { "WWW-Authenticate": 'Basic realm="git"' },
        });
      const f = Bun.file(join(root, decodeURIComponent(new URL(req.url).pathname)));
      return (await f.exists()) ? new Response(f) : new Response("not found", { status: 404 });
    },
  });
}

const gitTemps = () => readdirSync(tmpdir()).filter((n) => n.startsWith("odoodeck-git."));
async function opDone(opId: string) {
  for (let i = 0; i < 600; i++) {
    const o = (await t.admin.getJson(`/api/v1/operations/${opId}`)).body.data;
    if (o.status !== "running") return o;
    await Bun.sleep(50);
  }
  throw new Error(`operation ${opId} did not end`);
}
const op = (name: string, body: Record<string, unknown> = {}) =>
  t.admin.postJson(`/api/v1/ops/${name}`, { instance: id, ...body });
const deploy = async () => {
  const r = await op("deploy.run", { ref: "main" });
  expect(r.status).toBe(202);
  return opDone(r.body.data.operationId);
};
/** What a user can read about the instance: operation logs, the audit, the Code tab. */
const everythingShown = async (opIds: string[]) =>
  [
    ...(await Promise.all(
      opIds.map(async (o) => JSON.stringify(await t.admin.getJson(`/api/v1/operations/${o}`))),
    )),
    ...(await Promise.all(opIds.map(async (o) => (await t.admin.page(`/operations/${o}`)).html))),
    JSON.stringify(await t.admin.getJson("/api/v1/audit?limit=500")),
    (await t.admin.page(`/p/deploy/i/${id}/code`)).html,
    JSON.stringify(await op("deploy.credentials.list")),
  ].join("\n");
const pushStatic = (n: string) => {
  const c = up.dev.commit(`asset ${n}`, { "acme_sale/static/src/app.js": `// ${n}\n` });
  up.push();
  gitIn(up.upstream, "update-server-info"); // what a dumb HTTP host serves
  return c;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-deploy-cred-"));
  up = makeUpstream(join(dir, "git"), {
    "acme_sale/__manifest__.py": manifest("ACME Sale", "17.0.1.0"),
    "acme_sale/models/sale.py": "X = 1\n",
  });
  gitIn(up.upstream, "update-server-info");
  http = gitHost(dirname(up.upstream));
  gitIn(up.server, "remote", "set-url", "origin", `http://127.0.0.1:${http.port}/upstream.git`);
  const conf = join(dir, "odoo.conf");
  writeFileSync(
    conf,
    `[options]\nhttp_port = ${freeLocalPort()}\ndb_name = acme\naddons_path = ${up.server}\n`,
  );
  t = await startTestApp({ plugins: [deployPlugin] });
  id = await t.addLocalInstance({ name: "acme", confPath: conf, dbName: "acme" });
}, 60_000);

afterAll(async () => {
  await t?.stop();
  http?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("HTTPS token", () => {
  test("without a token the host refuses the fetch; nothing changes and no temporary file stays", async () => {
    const before = gitIn(up.server, "rev-parse", "HEAD");
    pushStatic("a");
    const o = await deploy();
    expect(o.status).toBe("error");
    expect(o.error.code).toBe("E_COMMAND_FAILED");
    expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(before);
  }, 30_000);

  test("with the token stored, the fetch authenticates through GIT_ASKPASS and the token is shown nowhere", async () => {
    const set = await op("deploy.credentials.token", { token: TOKEN });
    expect(set.status).toBe(200);
    expect(set.body.data).toMatchObject({ kind: "token", username: "x-access-token", repo: up.server });
    const temps = gitTemps();
    authSeen.length = 0;
    const to = pushStatic("b");
    const o = await deploy();
    expect(o.status).toBe("ok");
    expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(to);
    expect(authSeen).toContain(`Basic ${btoa(`x-access-token:${TOKEN}`)}`);
    expect(gitTemps()).toEqual(temps);
    expect(await everythingShown([o.id])).not.toContain(TOKEN);
    // Nothing of it in the server's repository config either.
    expect(readFileSync(join(up.server, ".git", "config"), "utf8")).not.toContain(TOKEN);
  }, 30_000);
});

describe("SSH deploy key", () => {
  let sshd: TestSshd;
  let authorized: string;
  let authorizedBefore: string;
  let publicKey: string;

  beforeAll(async () => {
    sshd = await getSshd();
    authorized = join(dirname(sshd.hostKeyPath), "authorized_keys");
    authorizedBefore = readFileSync(authorized, "utf8");
    gitIn(
      up.server,
      "remote",
      "set-url",
      "origin",
      `ssh://${sshd.username}@${sshd.host}:${sshd.port}${up.upstream}`,
    );
  }, 60_000);
  afterAll(() => {
    if (authorized) writeFileSync(authorized, authorizedBefore, { mode: 0o600 });
  });

  test("odoodeck generates an ed25519 key and shows its public half, never the private one", async () => {
    await t.admin.page(`/p/deploy/i/${id}/code`);
    const res = await t.admin.post(`/p/deploy/i/${id}/code/credentials/key`, { repo: up.server });
    const html = await res.text();
    expect(res.status).toBe(200);
    publicKey = /<pre class="public-key">(ssh-ed25519 [A-Za-z0-9+/=]+ [^<]*)<\/pre>/.exec(html)![1];
    expect(publicKey).toContain("odoodeck-deploy@acme");
    expect(html).not.toContain("PRIVATE KEY");
  }, 30_000);

  test("a key the host does not know fails the fetch and leaves no key file on the server", async () => {
    const temps = gitTemps();
    const before = gitIn(up.server, "rev-parse", "HEAD");
    pushStatic("c");
    const o = await deploy();
    expect(o.status).toBe("error");
    expect(o.error.message).toContain("Permission denied");
    expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(before);
    expect(gitTemps()).toEqual(temps);
  }, 30_000);

  test("once pasted on the host, the deploy fetches over ssh with it; the private key is shown nowhere", async () => {
    appendFileSync(authorized, `${publicKey}\n`);
    const temps = gitTemps();
    const to = pushStatic("d");
    const o = await deploy();
    expect(o.status).toBe("ok");
    expect(gitIn(up.server, "rev-parse", "HEAD")).toBe(to);
    expect(gitTemps()).toEqual(temps);
    const logs = JSON.stringify(o.log);
    expect(logs).toContain("deploy key");
    expect(logs).toContain("pinned");
    const row = await wholeStore(t.core.db)
      .selectFrom("deploy_credentials")
      .select(["secret_sealed", "known_hosts"])
      .executeTakeFirstOrThrow();
    const privateKey = t.core.secrets.decrypt(row.secret_sealed as string);
    expect(privateKey).toContain("OPENSSH PRIVATE KEY");
    expect(row.known_hosts).toContain("ssh-ed25519");
    const body = privateKey.split("\n")[2]; // a line of the key's base64 body
    const shown = await everythingShown([o.id]);
    expect(shown).toContain(publicKey);
    expect(shown).not.toContain(body);
    expect(shown).not.toContain("PRIVATE KEY");
  }, 30_000);
});

describe("what a deploy would drop, webhooks, the card", () => {
  test("commits made on the server and not pushed refuse the deploy, naming them", async () => {
    const head = gitIn(up.server, "rev-parse", "HEAD");
    writeFileSync(join(up.server, "acme_sale", "models", "sale.py"), "X = 'hotfix on the server'\n");
    gitIn(
      up.server,
      "-c",
      "user.name=Ops",
      "-c",
      "user.email=ops@acme.example",
      "commit",
      "-qam",
      "hotfix on prod",
    );
    const mine = gitIn(up.server, "rev-parse", "--short", "HEAD");
    const r = await op("deploy.run", { ref: "main" });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe("E_CONFLICT");
    expect(r.body.error.message).toContain(`${mine} hotfix on prod`);
    expect(gitIn(up.server, "rev-parse", "--short", "HEAD")).toBe(mine);
    gitIn(up.server, "reset", "-q", "--hard", head);
  }, 30_000);

  test("webhooks are listed, added and deleted as operations and on the Code tab", async () => {
    const made = await op("deploy.hooks.create", { branch: "main", secret: "0123456789abcdef-s3cret" });
    expect(made.status).toBe(200);
    expect(made.body.data.url).toMatch(/\/hooks\/[\w-]{20,}$/);
    const second = await op("deploy.hooks.create", { branch: "release", secret: "0123456789abcdef-other" });
    const list = (await op("deploy.hooks.list")).body.data;
    expect(list.map((h: any) => h.branch)).toEqual(["main", "release"]);
    expect(JSON.stringify(list)).not.toContain("s3cret");
    expect((await op("deploy.hooks.delete", { id: made.body.data.id })).status).toBe(200);
    expect((await op("deploy.hooks.delete", { id: made.body.data.id })).body.error.code).toBe("E_NOT_FOUND");
    const page = await t.admin.page(`/p/deploy/i/${id}/code`);
    expect(page.html).not.toContain("pushes to <strong>main</strong>");
    expect(page.html).toContain("pushes to <strong>release</strong>");
    const res = await t.admin.post(`/p/deploy/i/${id}/code/hooks/${second.body.data.id}/delete`);
    expect(res.status).toBe(200);
    const after = await res.text();
    expect(after).toContain(`Webhook ${second.body.data.id} deleted`);
    expect(after).not.toContain("pushes to <strong>release</strong>");
    expect((await op("deploy.hooks.list")).body.data).toEqual([]);
  }, 30_000);

  test("the instance overview shows each repository's branch, commit and dirty state", async () => {
    const head = gitIn(up.server, "rev-parse", "HEAD");
    const clean = (await t.admin.page(`/instances/${id}`)).html;
    const block = (html: string) => /<ul class="deploy-repos">[\s\S]*?<\/ul>/.exec(html)?.[0] ?? "";
    expect(block(clean)).toContain(`<code class="commit">${head.slice(0, 12)}</code>`);
    expect(block(clean)).toContain("main");
    expect(block(clean)).toContain("clean");
    writeFileSync(join(up.server, "acme_sale", "models", "sale.py"), "X = 'edited'\n");
    const dirty = (await t.admin.page(`/instances/${id}`)).html;
    expect(block(dirty)).toContain("dirty: 1 changed by hand");
    gitIn(up.server, "checkout", "--", ".");
  }, 30_000);
});
