import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { odoo } from "odoodeck/sdk";
import { FIXTURES } from "../../server/sdk/testing.ts";
import { findRisks } from "./findings.ts";

const prod = odoo.parseOdooConf(readFileSync(FIXTURES.prodConf));
const staging = odoo.parseOdooConf(readFileSync(FIXTURES.stagingConf));
const ids = (conf: odoo.ParsedConf, over: Partial<Parameters<typeof findRisks>[0]> = {}) =>
  findRisks({ conf, production: false, publicUrl: null, databaseCount: 1, memoryBytes: null, ...over }).map(
    (f) => f.id,
  );

describe("findings on the fixtures", () => {
  test("the production conf is clean on a big enough server", () => {
    expect(
      ids(prod, {
        production: true,
        publicUrl: "https://erp.acme-corp.example",
        memoryBytes: 16 * 1024 ** 3,
      }),
    ).toEqual([]);
  });

  test("staging: plain admin_passwd, list_db on a public URL, demo data, limits unset", () => {
    expect(ids(staging, { publicUrl: "https://staging.acme-corp.example" }).sort()).toEqual(
      [
        "admin_passwd_plain",
        "limit_time_cpu_unset",
        "limit_time_real_unset",
        "list_db",
        "proxy_mode_off",
        "without_demo_off",
      ].sort(),
    );
  });

  test("workers = 0 matters only on production", () => {
    expect(ids(staging, { production: true })).toContain("workers_zero");
    expect(ids(staging)).not.toContain("workers_zero");
  });

  test("limit_memory_hard above the RAM, measured on the server", () => {
    const r = findRisks({
      conf: prod,
      production: true,
      publicUrl: null,
      databaseCount: 1,
      memoryBytes: 2 * 1024 ** 3,
    });
    expect(r.map((f) => f.message)).toContain(
      "limit_memory_hard (2.5 GiB) is above the server's RAM (2.0 GiB)",
    );
  });
});

test("list_db unset counts as True (Odoo's default) and the master password defaults to admin", () => {
  const conf = odoo.parseOdooConf("[options]\ndb_name = a,b\n");
  const f = findRisks({
    conf,
    production: false,
    publicUrl: "http://x.example",
    databaseCount: 3,
    memoryBytes: null,
  });
  expect(f.find((x) => x.id === "list_db")?.message).toContain("not set (Odoo's default is True)");
  expect(f.map((x) => x.id)).toContain("admin_passwd_default");
  expect(f.map((x) => x.id)).toContain("dbfilter_missing");
  // A single db_name restricts the list in Odoo 17: no dbfilter finding then.
  const one = odoo.parseOdooConf("[options]\ndb_name = a\n");
  expect(
    findRisks({ conf: one, production: false, publicUrl: null, databaseCount: 3, memoryBytes: null }).map(
      (x) => x.id,
    ),
  ).not.toContain("dbfilter_missing");
});
