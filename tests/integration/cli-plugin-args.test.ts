/**
 * Plugin commands receive their own flags. Runs the real entry point (`bun server/main.ts`) as a
 * user would, so the core's argument parsing is the one under test.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { argsAfter } from "../../server/cli/commands.ts";
import { fixtureDb, getPg } from "../helpers/pg.ts";

const MAIN = resolve(import.meta.dir, "../../server/main.ts");
let dir: string;

function odoodeck(args: string[]) {
  const p = Bun.spawnSync([process.execPath, MAIN, "--data", join(dir, "data"), ...args], {
    env: { ...process.env, ODOODECK_DATA: "" },
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odoodeck-cli-args-"));
  const pg = await getPg();
  const db = await fixtureDb("acme_prod");
  const conf = join(dir, "odoo.conf");
  writeFileSync(
    conf,
    `[options]\ndb_host = ${pg.host}\ndb_port = ${pg.port}\ndb_user = ${pg.odooUser}\ndb_password = ${pg.odooPassword}\ndb_name = ${db}\ndata_dir = ${join(dir, "odoo-data")}\n`,
  );
  expect(odoodeck(["server", "add", "here", "--kind", "local"]).code).toBe(0);
  const add = odoodeck(["instance", "add", "acme", "--server", "here", "--conf", conf]);
  expect(add.err).toBe("");
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("argsAfter keeps a plugin command's flags in order and drops only the core's --data", () => {
  expect(argsAfter(["--data", "/d", "logs", "prod", "-f", "--level", "warning"], "logs")).toEqual([
    "prod",
    "-f",
    "--level",
    "warning",
  ]);
  expect(argsAfter(["backup", "--data=/d", "create", "x", "--scope=db"], "backup")).toEqual([
    "create",
    "x",
    "--scope=db",
  ]);
});

test("`backup create <instance> --scope …` reaches the plugin: a bad scope is refused, not ignored", () => {
  const r = odoodeck(["backup", "create", "acme", "--scope", "bogus"]);
  expect(r.code).toBe(1);
  expect(r.err).toContain('Unknown scope "bogus"');
  expect(r.err).toContain("[E_VALIDATION]");
});

test("`config show <instance> --json` prints JSON", () => {
  const r = odoodeck(["config", "show", "acme", "--json"]);
  expect(r.err).toBe("");
  expect(JSON.parse(r.out)).toMatchObject({ instance: expect.anything() });
});
