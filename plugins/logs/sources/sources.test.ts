import { expect, test } from "bun:test";
import { assertAllowedPath, isRotationOf, sourceCommand } from "./sources.ts";

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
