import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import configDiff from "../../plugins/config-diff/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

let t: TestApp;
let dir: string;
const DB_SECRET = "db-secret-Zq81";
const ADMIN_SECRET = "admin-secret-Kx27";

async function instanceWith(name: string, content: string | Uint8Array | null): Promise<number> {
  const path = join(dir, `${name}.conf`);
  if (content != null) writeFileSync(path, content);
  return t.addLocalInstance({ name, confPath: path });
}

/** Config page of an instance: never a 500, never a secret. */
async function configPage(id: number): Promise<string> {
  const { res, html } = await t.admin.page(`/p/config-diff/i/${id}/config`);
  expect(res.status).toBe(200);
  expect(html).not.toContain(DB_SECRET);
  expect(html).not.toContain(ADMIN_SECRET);
  expect(html).not.toContain("Something went wrong");
  return html;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "config-bad-"));
  t = await startTestApp({ plugins: [configDiff] });
});
afterAll(() => t.stop());

describe("bad odoo.conf files get clear messages", () => {
  test("a missing file", async () => {
    const html = await configPage(await instanceWith("missing", null));
    expect(html).toContain("E_FILE_NOT_FOUND");
    expect(html).toContain(join(dir, "missing.conf"));
  });

  test("no [options] section, duplicates inside it reported with line numbers", async () => {
    const id = await instanceWith(
      "no-options",
      `[server]\ndb_password = ${DB_SECRET}\ndb_password = ${DB_SECRET}2\n`,
    );
    const html = await configPage(id);
    expect(html).toContain("The file has no [options] section");
    expect(html).toContain("add the line [options] above the settings");
    expect(html).toContain("is set twice in [server]");
  });

  test("duplicate keys: the last one wins, both lines named, both values masked", async () => {
    const id = await instanceWith(
      "dupes",
      `[options]\nadmin_passwd = ${ADMIN_SECRET}\nworkers = 2\nadmin_passwd = ${ADMIN_SECRET}-b\ndb_password = ${DB_SECRET}\n`,
    );
    const html = await configPage(id);
    expect(html).toContain("&quot;admin_passwd&quot; is set twice in [options] (line 2 and line 4)");
    expect(html).toContain('id="v-conf-admin_passwd"');
    // The secret found in the file still shows up as a finding, without its value.
    expect(html).toContain("admin_passwd is stored in plain text");
  });

  test("non-UTF-8 bytes: read as Latin-1 with a warning", async () => {
    const bytes = Buffer.concat([
      Buffer.from(`[options]\nadmin_passwd = ${ADMIN_SECRET}\xe9\n`, "latin1"),
      Buffer.from("email_from = caf\xe9@acme.example\n", "latin1"),
    ]);
    const html = await configPage(await instanceWith("latin1", bytes));
    expect(html).toContain("The file is not valid UTF-8; it was read as Latin-1");
    expect(html).toContain("café@acme.example");
  });

  test("an enormous file (> 1 MiB) is refused before parsing, with a hint", async () => {
    const big = `[options]\ndb_password = ${DB_SECRET}\n${"; padding comment line\n".repeat(60_000)}`;
    expect(big.length).toBeGreaterThan(1024 * 1024);
    const html = await configPage(await instanceWith("huge", big));
    expect(html).toContain("The configuration file is too large");
    expect(html).toContain("check that the path points at the right file");
  });

  test("a value with % is kept literally and explained", async () => {
    const id = await instanceWith(
      "percent",
      `[options]\nlog_handler = :INFO,%(x)s\ndbfilter = ^%d$\ndb_password = %${DB_SECRET}%\n`,
    );
    const html = await configPage(id);
    expect(html).toContain(":INFO,%(x)s");
    expect(html).toContain("^%d$");
    expect(html).toContain("&quot;log_handler&quot; contains &quot;%&quot;: Odoo reads it literally");
  });

  test("the API and the diff answer the same errors without a secret or a crash", async () => {
    const broken = await instanceWith("broken-api", `[server]\ndb_password = ${DB_SECRET}\n`);
    const fine = await instanceWith("fine-api", `[options]\nworkers = 2\nadmin_passwd = ${ADMIN_SECRET}\n`);
    const res = await t.admin.get(`/api/v1/config-diff/i/${broken}`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(JSON.parse(text).data.error.code).toBe("E_CONF_INVALID");
    expect(text).not.toContain(DB_SECRET);
    const { res: dres, html } = await t.admin.page(`/p/config-diff/?a=${broken}&b=${fine}`);
    expect(dres.status).toBe(200);
    expect(html).toContain("broken-api: odoo.conf: The file has no [options] section");
    expect(html).not.toContain(ADMIN_SECRET);
    // Instances may be named: an unknown name answers as a missing instance, not a crash.
    const bad = await t.admin.getJson("/api/v1/config-diff/diff?a=abc&b=1");
    expect(bad.status).toBe(404);
    expect(bad.body.error.code).toBe("E_NOT_FOUND");
  });
});
