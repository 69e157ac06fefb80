import { AppError } from "../../../server/sdk/index.ts";

export type ModuleAction = "install" | "upgrade" | "uninstall";
export const MODULE_ACTIONS: ModuleAction[] = ["install", "upgrade", "uninstall"];

const MODULE_NAME = /^[a-z0-9_]+$/;

export interface OdooCommandInput {
  action: ModuleAction;
  modules: string[];
  /** What runs Odoo: ["/opt/odoo/odoo-bin"], ["python3", "/opt/odoo/odoo-bin"], or ["odoo"] in a container. */
  odoo: string[];
  confPath: string;
  dbName: string;
  /** When set, the command runs through `docker exec` in this container. */
  container?: string | null;
}

export interface OdooCommand {
  argv: string[];
  /** The Python fed to `odoo-bin shell` (uninstall has no command-line flag). */
  stdin?: string;
}

/** Validates a module list: names as Odoo allows them, no duplicates, at least one. */
export function parseModuleList(input: string | string[]): string[] {
  const list = (Array.isArray(input) ? input : input.split(/[\s,]+/)).map((s) => s.trim()).filter(Boolean);
  if (!list.length) throw new AppError("E_VALIDATION", "Choose at least one module");
  for (const m of list)
    if (!MODULE_NAME.test(m))
      throw new AppError("E_VALIDATION", `"${m}" is not a module name`, {
        hint: "Module names are lowercase letters, digits and underscores",
      });
  return [...new Set(list)];
}

/**
 * The argv that runs an action with the instance's own conf, then stops (`--stop-after-init`).
 * Logs go to stdout so the operation log shows them, whatever `logfile` the conf sets.
 * @example buildOdooCommand({ action: "upgrade", modules: ["crm"], odoo: ["odoo-bin"], confPath: "/etc/odoo/odoo.conf", dbName: "prod" })
 * // { argv: ["odoo-bin", "-c", "/etc/odoo/odoo.conf", "-d", "prod", "-u", "crm", "--stop-after-init", "--no-http", "--logfile", "/dev/stdout"] }
 */
export function buildOdooCommand(input: OdooCommandInput): OdooCommand {
  const modules = parseModuleList(input.modules);
  if (!input.dbName) throw new AppError("E_CONF_INVALID", "The instance has no database name");
  const base = [...input.odoo];
  let argv: string[];
  let stdin: string | undefined;
  if (input.action === "uninstall") {
    argv = [
      ...base,
      "shell",
      "-c",
      input.confPath,
      "-d",
      input.dbName,
      "--no-http",
      "--logfile",
      "/dev/stdout",
    ];
    // Names are validated above; JSON string literals are valid Python string literals.
    stdin = [
      `mods = env["ir.module.module"].search([("name", "in", ${JSON.stringify(modules)}), ("state", "in", ["installed", "to upgrade", "to remove"])])`,
      "print('uninstalling: %s' % ', '.join(mods.mapped('name')))",
      "mods.button_immediate_uninstall()",
      "env.cr.commit()",
      "",
    ].join("\n");
  } else {
    const flag = input.action === "install" ? "-i" : "-u";
    argv = [
      ...base,
      "-c",
      input.confPath,
      "-d",
      input.dbName,
      flag,
      modules.join(","),
      "--stop-after-init",
      "--no-http",
      "--logfile",
      "/dev/stdout",
    ];
  }
  if (input.container) argv = ["docker", "exec", ...(stdin ? ["-i"] : []), input.container, ...argv];
  return stdin ? { argv, stdin } : { argv };
}
