import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { odoo } from "odoodeck/sdk";
import { FIXTURES } from "../../server/sdk/testing.ts";
import { confNotices, confRows } from "./conf-rows.ts";

test("prod rows: masked secrets, defaults, differs, explanation, file order", () => {
  const rows = confRows(odoo.parseOdooConf(readFileSync(FIXTURES.prodConf)));
  expect(rows[0].key).toBe("addons_path");
  const by = Object.fromEntries(rows.map((r) => [r.key, r]));
  expect(by.admin_passwd).toMatchObject({ value: odoo.MASK, secret: true, default: odoo.MASK });
  expect(by.db_password).toMatchObject({ value: odoo.MASK, secret: true });
  expect(JSON.stringify(rows)).not.toContain("pr0d-db-pass");
  expect(JSON.stringify(rows)).not.toContain("$pbkdf2-sha512");
  expect(by.workers).toMatchObject({ value: "4", default: "0", differs: true });
  expect(by.limit_memory_hard).toMatchObject({ differs: false }); // 2684354560 is the default
  expect(by.http_port).toMatchObject({ differs: false });
  expect(by.list_db).toMatchObject({ value: "False", default: "True", differs: true });
  expect(by.proxy_mode.help).toContain("X-Forwarded");
});

test("staging: db_password=False is 'not set'; [queue_job] is reported as ignored", () => {
  const conf = odoo.parseOdooConf(readFileSync(FIXTURES.stagingConf));
  const by = Object.fromEntries(confRows(conf).map((r) => [r.key, r]));
  expect(by.db_password.value).toBeNull();
  expect(by.admin_passwd.value).toBe(odoo.MASK);
  expect(by.without_demo).toMatchObject({ value: null, differs: false });
  expect(
    confNotices(conf)
      .map((n) => n.message)
      .join("\n"),
  ).toContain("Section [queue_job] (1 key) is ignored");
});

test("unknown keys are flagged and % is read literally", () => {
  const conf = odoo.parseOdooConf("[options]\nmy_thing = 50%\n");
  const [row] = confRows(conf);
  expect(row).toMatchObject({ key: "my_thing", value: "50%", known: false, differs: true });
  expect(confNotices(conf)[0].message).toContain('"my_thing" contains "%": Odoo reads it literally');
});
