/**
 * Runs a process manager's command (systemctl, docker…) through the instance's connection and
 * turns a refusal into an AppError that says what to do, rather than a bare exit code.
 */
import type { Connection } from "../connections/types.ts";
import { AppError } from "../errors.ts";

const DENIED = /access denied|interactive authentication required|permission denied|not permitted/i;

export async function runTool(conn: Connection, argv: string[], timeoutMs = 120_000): Promise<string> {
  const res = await conn.exec(argv, { timeoutMs });
  if (res.code === 0) return res.stdout;
  const said = (res.stderr.trim() || res.stdout.trim()).split("\n").slice(0, 3).join(" ");
  if (DENIED.test(said))
    throw new AppError("E_PERMISSION", `${argv[0]} ${argv[1]} was refused on ${conn.label}: ${said}`, {
      hint: `Allow the user odoodeck connects as to run "${argv.slice(0, 2).join(" ")}" (a polkit rule, sudoers, or the docker group)`,
    });
  throw new AppError(
    "E_COMMAND_FAILED",
    `${argv.slice(0, 2).join(" ")} failed on ${conn.label}: ${said || `exit ${res.code}`}`,
  );
}

/** Unit and container names travel as one argument; this keeps them from reading as options. */
export function checkName(name: string, what: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9@._:-]{0,200}$/.test(name))
    throw new AppError("E_VALIDATION", `"${name}" is not a valid ${what} name`, {
      hint: "Letters, digits and @ . _ : - only, starting with a letter or digit",
    });
  return name;
}
