/** `odoo-bin -i new -u changed --stop-after-init` with the instance's own conf, its output in the step log. */
import {
  AppError,
  type Connection,
  type InstanceHandle,
  odoo,
  type StepApi,
} from "../../../server/sdk/index.ts";

const MODULE = /^[a-z0-9_]+$/;

export async function odooCommand(
  conn: Connection,
  inst: InstanceHandle,
  addonsPaths: string[],
  configured: string,
  mods: { install: string[]; upgrade: string[] },
): Promise<string[]> {
  for (const m of [...mods.install, ...mods.upgrade])
    if (!MODULE.test(m)) throw new AppError("E_VALIDATION", `"${m}" is not a module name Odoo accepts`);
  if (!inst.dbName)
    throw new AppError("E_CONF_INVALID", `${inst.name} has no database name`, {
      hint: "Set db_name in its odoo.conf",
    });
  const exe = await odoo.resolveOdooExecutable(conn, {
    configured,
    confPath: inst.confPath,
    addonsPaths,
    container: inst.container,
  });
  if (!exe.found)
    throw new AppError("E_FILE_NOT_FOUND", `Cannot run Odoo: ${exe.reason}`, {
      hint: `Looked at ${exe.looked.join(", ")}; set “odoo-bin path” in the deploy settings`,
    });
  const argv = [...exe.argv, "-c", inst.confPath, "-d", inst.dbName];
  if (mods.install.length) argv.push("-i", mods.install.join(","));
  if (mods.upgrade.length) argv.push("-u", mods.upgrade.join(","));
  argv.push("--stop-after-init", "--no-http", "--logfile", "/dev/stdout");
  return inst.container ? ["docker", "exec", inst.container, ...argv] : argv;
}

/** Runs it; a non-zero exit is E_COMMAND_FAILED with the last lines Odoo printed. */
export async function runOdooUpdate(conn: Connection, argv: string[], s: StepApi): Promise<void> {
  s.log(`$ ${argv.join(" ")}`);
  const r = await conn.exec(argv, { signal: s.signal, timeoutMs: 60 * 60_000 });
  const lines = `${r.stdout}\n${r.stderr}`.split("\n").filter(Boolean);
  for (const l of lines) s.log(l);
  if (r.code !== 0)
    throw new AppError(
      "E_COMMAND_FAILED",
      `Odoo's install/upgrade exited with code ${r.code}: ${lines.at(-1) ?? ""}`,
      {
        hint: "Read the operation log for Odoo's traceback; the deploy was rolled back",
      },
    );
}
