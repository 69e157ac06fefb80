import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp, type TestApp, type TestClient } from "../helpers/app.ts";
import { fixtureDb, getPg } from "../helpers/pg.ts";
import { getSshd, type TestSshd } from "../helpers/sshd.ts";

// Each probe runs about ten commands over SSH; on a loaded 2-CPU box that takes seconds.
setDefaultTimeout(30_000);

let t: TestApp;
let sshd: TestSshd;
let serverId: number;
const PASSWORD = `pw-${crypto.randomUUID()}`;
/** A line from the middle of the private key: it must never come back in any answer. */
let keyLine: string;

async function addServer(c: TestClient, form: Record<string, string>): Promise<Response> {
  await c.page("/servers");
  return c.post("/servers/new", form);
}

async function testConnection(id: number): Promise<string> {
  await t.admin.page(`/servers/${id}`);
  const res = await t.admin.request("POST", `/servers/${id}/test`, { headers: { "HX-Request": "true" } });
  expect(res.status).toBe(200);
  return res.text();
}

beforeAll(async () => {
  [t, sshd] = await Promise.all([startTestApp({ plugins: [] }), getSshd()]);
  keyLine = sshd.privateKey.split("\n")[2];
  expect(keyLine.length).toBeGreaterThan(20);
  const res = await addServer(t.admin, {
    name: "ssh-loopback",
    kind: "ssh",
    host: sshd.host,
    port: String(sshd.port),
    username: sshd.username,
    privateKey: sshd.privateKey,
    group: "Internal",
  });
  expect(res.status).toBe(303);
  serverId = Number(/\/servers\/(\d+)/.exec(res.headers.get("Location")!)![1]);
}, 60_000);
afterAll(() => t.stop());

describe("SSH servers", () => {
  test("test connection: reachable, auth ok, host key pinned and shown", async () => {
    const html = await testConnection(serverId);
    expect(html).toMatch(/Reachable.*?badge-ok">yes/s);
    expect(html).toMatch(/Authentication.*?badge-ok">ok/s);
    expect(html).toContain("Linux");
    const row = await t.core.registry.server(serverId);
    expect(row.host_key).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(html).toContain(row.host_key!);
    const expected = Bun.spawnSync(["ssh-keygen", "-lf", `${sshd.hostKeyPath}.pub`])
      .stdout.toString()
      .split(" ")[1];
    expect(row.host_key).toBe(expected);
    const { html: list } = await t.admin.page("/servers");
    expect(list).toContain(row.host_key!);
  });

  test("a changed host key is refused with both fingerprints; an admin accepts it and it works again", async () => {
    const before = (await t.core.registry.server(serverId)).host_key!;
    await sshd.rotateHostKey();
    const after = Bun.spawnSync(["ssh-keygen", "-lf", `${sshd.hostKeyPath}.pub`])
      .stdout.toString()
      .split(" ")[1];
    const html = await testConnection(serverId);
    expect(html).toContain("E_HOSTKEY_MISMATCH");
    expect(html).toContain(`Expected (pinned): <code class="mono">${before}</code>`);
    expect(html).toContain(`Presented now: <code class="mono">${after}</code>`);
    expect(html).toContain("Accept new key");
    // an operator sees the mismatch but cannot accept it
    const op = await t.client("operator");
    await op.page(`/servers/${serverId}`);
    const opHtml = await (
      await op.request("POST", `/servers/${serverId}/test`, { headers: { "HX-Request": "true" } })
    ).text();
    expect(opHtml).toContain("E_HOSTKEY_MISMATCH");
    expect(opHtml).not.toContain("Accept new key");
    expect((await op.post(`/servers/${serverId}/accept-key`)).status).toBe(403);

    await t.admin.page(`/servers/${serverId}`);
    const res = await t.admin.post(`/servers/${serverId}/accept-key`);
    expect(await res.text()).toContain(`New host key accepted: ${after}`);
    expect((await t.core.registry.server(serverId)).host_key).toBe(after);
    const again = await testConnection(serverId);
    expect(again).toMatch(/Authentication.*?badge-ok">ok/s);
    const audit = await t.core.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "servers.accept-key")
      .execute();
    // The operator's refusal is in the log too: the executor records refused calls.
    expect(audit.map((a) => a.result)).toEqual(["error", "ok"]);
  });

  test("a key the server does not know gives E_AUTH_FAILED", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odoodeck-key-"));
    Bun.spawnSync(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
    const res = await addServer(t.admin, {
      name: "wrong-key",
      kind: "ssh",
      host: sshd.host,
      port: String(sshd.port),
      username: sshd.username,
      privateKey: readFileSync(join(dir, "k"), "utf8"),
    });
    rmSync(dir, { recursive: true });
    const id = Number(/\/servers\/(\d+)/.exec(res.headers.get("Location")!)![1]);
    const html = await testConnection(id);
    expect(html).toContain("E_AUTH_FAILED");
    expect(html).toMatch(/Reachable.*?badge-ok">yes/s);
    expect(html).toMatch(/Authentication.*?badge-error">failed/s);
    const api = await t.admin.postJson(`/api/v1/servers/${id}/test`, {});
    expect(api.body.data).toMatchObject({ reachable: true, authOk: false, error: { code: "E_AUTH_FAILED" } });
  });

  test("a closed port gives E_UNREACHABLE", async () => {
    const { body } = await t.admin.postJson("/api/v1/servers", {
      name: "closed",
      kind: "ssh",
      host: "127.0.0.1",
      port: 1,
      username: "odoo",
      password: "x-password-x",
    });
    expect(body.ok).toBe(true);
    const probe = await t.admin.postJson(`/api/v1/servers/${body.data.id}/test`, {});
    expect(probe.body.data).toMatchObject({
      reachable: false,
      authOk: false,
      error: { code: "E_UNREACHABLE" },
    });
  });

  test("editing with blank secret fields keeps the stored key", async () => {
    await t.admin.page(`/servers/${serverId}`);
    const res = await t.admin.post(`/servers/${serverId}`, {
      name: "ssh-loopback",
      kind: "ssh",
      host: sshd.host,
      port: String(sshd.port),
      username: sshd.username,
      privateKey: "",
      passphrase: "",
      password: "",
      group: "Renamed group",
    });
    expect(res.status).toBe(303);
    const { html } = await t.admin.page(`/servers/${serverId}`);
    expect(html).toContain("set — leave blank to keep");
    expect(await testConnection(serverId)).toMatch(/Authentication.*?badge-ok">ok/s);
  });

  test("a passphrase-protected key works with its passphrase", async () => {
    const { body } = await t.admin.postJson("/api/v1/servers", {
      name: "enc-key",
      kind: "ssh",
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKey: sshd.encryptedKey,
      passphrase: sshd.passphrase,
    });
    const probe = await t.admin.postJson(`/api/v1/servers/${body.data.id}/test`, {});
    expect(probe.body.data.authOk).toBe(true);
  });

  test("no secret appears in any page or API answer", async () => {
    const { body } = await t.admin.postJson("/api/v1/servers", {
      name: "with-password",
      kind: "ssh",
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      password: PASSWORD,
    });
    expect(body.ok).toBe(true);
    const answers: string[] = [JSON.stringify(body)];
    for (const path of ["/servers", `/servers/${serverId}`, `/servers/${body.data.id}`, "/", "/audit"])
      answers.push((await t.admin.page(path)).html);
    for (const path of ["/api/v1/servers", `/api/v1/servers/${serverId}`, `/api/v1/servers/${body.data.id}`])
      answers.push(JSON.stringify((await t.admin.getJson(path)).body));
    answers.push(JSON.stringify((await t.admin.postJson(`/api/v1/servers/${body.data.id}/test`, {})).body));
    for (const a of answers) {
      expect(a).not.toContain(keyLine);
      expect(a).not.toContain(PASSWORD);
      expect(a).not.toContain(sshd.passphrase);
    }
    // stored sealed, not in clear
    const rows = await t.core.db.selectFrom("servers").select("secret").execute();
    for (const r of rows) expect(String(r.secret ?? "")).not.toContain(PASSWORD);
  });

  test("a viewer cannot add a server", async () => {
    const v = await t.client("viewer");
    const { html } = await v.page("/servers");
    expect(html).not.toContain("Add a server");
    const res = await v.post("/servers/new", { name: "sneaky", kind: "local" });
    expect(res.status).toBe(403);
    const api = await v.postJson("/api/v1/servers", { name: "sneaky", kind: "local" });
    expect(api.status).toBe(403);
    expect(api.body.error.code).toBe("E_FORBIDDEN");
    expect((await t.core.registry.servers()).some((s) => s.name === "sneaky")).toBe(false);
  });
  test("an instance on the SSH server reads its odoo.conf and database through SSH", async () => {
    const pg = await getPg();
    const db = await fixtureDb("acme_prod");
    const dir = mkdtempSync(join(tmpdir(), "odoodeck-sshinst-"));
    const conf = join(dir, "odoo.conf");
    writeFileSync(
      conf,
      `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\ndb_name = ${db}\n`,
    );
    const { body } = await t.admin.postJson("/api/v1/instances", {
      name: "remote",
      serverId,
      confPath: conf,
    });
    const got = await t.admin.getJson(`/api/v1/instances/${body.data.id}`);
    rmSync(dir, { recursive: true });
    expect(got.body.data.status).toMatchObject({
      conf: { ok: true },
      db: { ok: true, name: db },
      odooVersion: "17.0.1.3",
    });
    expect(JSON.stringify(got.body)).not.toContain(pg.odooPassword);
  }, 60_000);
});
