import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { coreCommands } from "../../server/cli/commands.ts";
import { fixtureDb, getPg } from "../helpers/pg.ts";
import { getSshd, type TestSshd } from "../helpers/sshd.ts";

setDefaultTimeout(30_000);

let dir: string;
let sshd: TestSshd;

/** Runs `odoodeck <argv>` in-process against the test data dir, capturing what it prints. */
async function odoodeck(argv: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
  // Flags parsed the way server/main.ts does (importing it would start a server).
  const flags: Record<string, string | boolean> = { data: join(dir, "data") };
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) positionals.push(a);
    else if (a.includes("=")) flags[a.slice(2, a.indexOf("="))] = a.slice(a.indexOf("=") + 1);
    else if (a === "--json") flags.json = true;
    else flags[a.slice(2)] = argv[++i];
  }
  const [cmd, ...rest] = positionals;
  const out: string[] = [];
  const err: string[] = [];
  const code = await coreCommands(cmd, rest, flags, {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    readStdin: async () => stdin,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-cli-"));
  sshd = await getSshd();
  writeFileSync(join(dir, "id_key"), sshd.privateKey, { mode: 0o600 });
  await getPg(); // first use restores the fixtures: slow once per run
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("odoodeck server / instance commands", () => {
  test("server add, test and list over SSH", async () => {
    const add = await odoodeck([
      "server",
      "add",
      "loop",
      "--host",
      sshd.host,
      "--port",
      String(sshd.port),
      "--user",
      sshd.username,
      "--key-file",
      join(dir, "id_key"),
      "--group",
      "Internal",
    ]);
    expect(add.out).toContain("server loop added");
    const probe = await odoodeck(["server", "test", "loop"]);
    expect(probe.code).toBe(0);
    expect(probe.out).toMatch(/reachable: yes\s+auth: ok\s+host key: SHA256:/);
    expect(probe.out).toMatch(/psql\s+\/\S+psql \(\d+\.\d+\)/);
    const list = await odoodeck(["server", "list", "--json"]);
    const rows = JSON.parse(list.out);
    expect(rows[0]).toMatchObject({ name: "loop", kind: "ssh", hostKey: expect.stringMatching(/^SHA256:/) });
    expect(list.out).not.toContain(sshd.privateKey.split("\n")[2]);
  });

  test("instance add reports the Odoo version; list and discover answer", async () => {
    const pg = await getPg();
    const db = await fixtureDb("acme_prod");
    const conf = join(dir, "odoo.conf");
    writeFileSync(
      conf,
      `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\ndb_name = ${db}\n`,
    );
    await odoodeck(["server", "add", "here", "--kind", "local"]);
    const add = await odoodeck([
      "instance",
      "add",
      "acme",
      "--server",
      "here",
      "--conf",
      conf,
      "--production=true",
    ]);
    expect(add.err).toBe("");
    expect(add.out).toContain(`database ${db}: Odoo 17.0.1.3`);
    const list = JSON.parse((await odoodeck(["instance", "list", "--json"])).out);
    expect(list).toEqual([expect.objectContaining({ name: "acme", confPath: conf, production: true })]);
    const found = await odoodeck(["instance", "discover", "here"]);
    expect(found.code).toBe(0);
    // The CLI runs servers.add / instances.add as the page does: their audit entries, by cli:$USER,
    // with the private key masked.
    const audit = JSON.parse((await odoodeck(["audit", "--json"])).out) as any[];
    const mine = audit
      .filter((a) => ["servers.add", "instances.add"].includes(a.action))
      .map((a) => [a.action, a.target, a.actor.startsWith("cli:"), JSON.parse(a.details).surface]);
    expect(mine.sort()).toEqual([
      ["instances.add", "instance:acme", true, "cli"],
      ["servers.add", "server:here", true, "cli"],
      ["servers.add", "server:loop", true, "cli"],
    ]);
    expect(JSON.stringify(audit)).not.toContain(sshd.privateKey.split("\n")[2]);
  });

  test("an unknown server is a clear error", async () => {
    await expect(
      odoodeck(["instance", "add", "x", "--server", "nope", "--conf", "/etc/odoo.conf"]),
    ).rejects.toMatchObject({
      code: "E_NOT_FOUND",
    });
  });
});
