/**
 * Builds the one string an SSH exec request carries from an argument array. Every element is
 * quoted for a POSIX shell, so spaces, quotes, `$(...)` and `;` arrive literally.
 */
import { AppError } from "../errors.ts";

/** Quotes one argument for a POSIX shell: `it's` → `'it'\''s'`. */
export function quoteArg(arg: string): string {
  if (arg === "") return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function quoteArgv(argv: string[]): string {
  return argv.map(quoteArg).join(" ");
}

/** Printed (with exit 127) when the working directory is missing, so callers can tell it apart. */
export const NO_CWD_MARKER = "odoodeck: working directory not found";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `cd -- <dir> && exec env K=V … <argv>`. `exec` replaces the shell so a signal sent over the
 * channel reaches the command itself. Env goes through `env`, not AcceptEnv, which servers
 * usually restrict.
 */
export function buildRemoteCommand(
  argv: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): string {
  if (argv.length === 0) throw new AppError("E_VALIDATION", "An empty command cannot be run");
  const parts: string[] = [];
  if (opts.cwd !== undefined) {
    parts.push(
      `cd -- ${quoteArg(opts.cwd)} 2>/dev/null || { printf '%s\\n' ${quoteArg(NO_CWD_MARKER)} >&2; exit 127; };`,
    );
  }
  const env = Object.entries(opts.env ?? {});
  for (const [k] of env) {
    if (!ENV_NAME.test(k))
      throw new AppError("E_VALIDATION", `Invalid environment variable name: ${JSON.stringify(k)}`);
  }
  const head = env.length ? ["env", ...env.map(([k, v]) => `${k}=${v}`)] : [];
  parts.push(`exec ${quoteArgv([...head, ...argv])}`);
  return parts.join(" ");
}
