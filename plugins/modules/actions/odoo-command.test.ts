import { describe, expect, test } from "bun:test";
import { buildOdooCommand, parseModuleList } from "./odoo-command.ts";

const base = { odoo: ["/opt/odoo/odoo-bin"], confPath: "/etc/odoo/odoo.conf", dbName: "acme_prod" };

describe("buildOdooCommand", () => {
  test("upgrade and install run odoo-bin with the instance's conf and stop after init", () => {
    expect(buildOdooCommand({ ...base, action: "upgrade", modules: ["crm", "mail"] })).toEqual({
      argv: [
        "/opt/odoo/odoo-bin",
        "-c",
        "/etc/odoo/odoo.conf",
        "-d",
        "acme_prod",
        "-u",
        "crm,mail",
        "--stop-after-init",
        "--no-http",
        "--logfile",
        "/dev/stdout",
      ],
    });
    expect(buildOdooCommand({ ...base, action: "install", modules: ["project"] }).argv.slice(5, 7)).toEqual([
      "-i",
      "project",
    ]);
  });

  test("uninstall goes through odoo-bin shell with a script on stdin", () => {
    const cmd = buildOdooCommand({ ...base, action: "uninstall", modules: ["project_todo"] });
    expect(cmd.argv).toEqual([
      "/opt/odoo/odoo-bin",
      "shell",
      "-c",
      "/etc/odoo/odoo.conf",
      "-d",
      "acme_prod",
      "--no-http",
      "--logfile",
      "/dev/stdout",
    ]);
    expect(cmd.stdin).toContain('("name", "in", ["project_todo"])');
    expect(cmd.stdin).toContain("button_immediate_uninstall()");
  });

  test("a container runs it through docker exec (with -i only when stdin is fed)", () => {
    expect(
      buildOdooCommand({
        ...base,
        odoo: ["odoo"],
        container: "odoo17",
        action: "upgrade",
        modules: ["crm"],
      }).argv.slice(0, 5),
    ).toEqual(["docker", "exec", "odoo17", "odoo", "-c"]);
    expect(
      buildOdooCommand({ ...base, container: "odoo17", action: "uninstall", modules: ["crm"] }).argv.slice(
        0,
        4,
      ),
    ).toEqual(["docker", "exec", "-i", "odoo17"]);
  });

  test("module names are validated: nothing else reaches the command or the script", () => {
    expect(parseModuleList(" crm, mail crm ")).toEqual(["crm", "mail"]);
    expect(() => parseModuleList("")).toThrow("Choose at least one module");
    expect(() =>
      buildOdooCommand({ ...base, action: "uninstall", modules: ['x"]); import os; ("'] }),
    ).toThrow("is not a module name");
    expect(() => buildOdooCommand({ ...base, action: "upgrade", modules: ["crm", "--dev=all"] })).toThrow(
      "is not a module name",
    );
  });
});
