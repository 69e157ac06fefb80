import { expect, test } from "bun:test";
import { RecordAssembler } from "./assembler.ts";
import { MASK, maskRecord, maskSecrets } from "./mask.ts";
import { assertAllowedPath, isRotationOf, sourceCommand } from "./sources.ts";

test("secrets in lines are masked, the rest of the line stays", () => {
  const cases: Array<[string, string]> = [
    ["connect db_password=s3cret host=db", `connect db_password=${MASK} host=db`],
    ["admin_passwd = $pbkdf2-sha512$600000$abc", `admin_passwd = ${MASK}`],
    ['{"login": "admin", "password": "hunter2"}', `{"login": "admin", "password": ${MASK}}`],
    ["Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", `Authorization: Bearer ${MASK}`],
    ["acme.payment_provider_key = pk_live_ABC123", `acme.payment_provider_key = ${MASK}`],
    ["key pk_live_ABC123 in text", `key pk_live_${MASK} in text`],
    ["GET /web?api_key=abcd1234&x=1", `GET /web?api_key=${MASK}&x=1`],
    ["postgres://odoo:pw@db:5432/x", `postgres://odoo:${MASK}@db:5432/x`],
    [
      "Login failed for db:acme_prod login:admin from n/a",
      "Login failed for db:acme_prod login:admin from n/a",
    ],
  ];
  for (const [input, want] of cases) expect(maskSecrets(input)).toBe(want);
});

test("a record is masked in its traceback too", () => {
  const asm = new RecordAssembler();
  const [r] = [
    ...asm.push(
      new TextEncoder().encode("2026-11-22 20:29:41,971 6180 ERROR db x: bad\n  smtp_password=abc\n"),
    ),
    ...asm.end(),
  ];
  const m = maskRecord(r);
  expect(m.continuation).toEqual([`  smtp_password=${MASK}`]);
  expect(JSON.stringify(m)).not.toContain('abc"');
});

test("only the logfile, its rotations and added paths are allowed", () => {
  const cfg = { logfile: "/var/log/odoo/odoo.log", extraPaths: ["/srv/extra.log"] };
  for (const ok of [
    "/var/log/odoo/odoo.log",
    "/var/log/odoo/odoo.log.1",
    "/var/log/odoo/odoo.log.3.gz",
    "/var/log/odoo/odoo.log-20261122.gz",
    "/srv/extra.log",
  ])
    expect(assertAllowedPath(cfg, ok)).toBe(ok);
  for (const bad of [
    "/etc/shadow",
    "/var/log/odoo/../../../etc/passwd",
    "/var/log/odoo/odoo.log.bak",
    "/var/log/odoo/other.log",
  ])
    expect(() => assertAllowedPath(cfg, bad)).toThrow(expect.objectContaining({ code: "E_FORBIDDEN" }));
  expect(() => assertAllowedPath(cfg, "odoo.log")).toThrow(expect.objectContaining({ code: "E_VALIDATION" }));
  expect(isRotationOf("/l/odoo.log", "/l/odoo.log.2026-11-22")).toBe(true);
  expect(sourceCommand({ kind: "journal", unit: "odoo.service" }, { follow: true, lines: 10 })).toEqual([
    "journalctl",
    "-u",
    "odoo.service",
    "-o",
    "cat",
    "--no-pager",
    "-n",
    "10",
    "-f",
  ]);
  expect(() => sourceCommand({ kind: "docker", container: "x; rm -rf /" })).toThrow(
    expect.objectContaining({ code: "E_VALIDATION" }),
  );
});
