/**
 * Every git call of the plugin: through the instance's Connection, as an argument array, always
 * `git -C <repo>` (never a shell, never the odoodeck process's own working directory).
 */
import { AppError, type Connection } from "../../../server/sdk/index.ts";

/** A branch, tag or commit as a user may name it: no option-looking or revision-range syntax. */
const REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;

/** Refuses a ref that git could read as an option or a range. */
export function checkRef(ref: string): string {
  if (!REF.test(ref) || ref.endsWith("/") || ref.endsWith(".lock"))
    throw new AppError("E_VALIDATION", `"${ref}" is not a branch, tag or commit name`, {
      hint: "Use a branch name (main), a tag or a commit hash; letters, digits, . _ / - only",
    });
  return ref;
}

export interface Git {
  /** Runs `git -C repo …args`; a non-zero exit is E_COMMAND_FAILED with git's own words. */
  run(args: string[], opts?: { signal?: AbortSignal; timeoutMs?: number; env?: string[] }): Promise<string>;
  /** Same, but answers null instead of failing (for questions like "does this ref exist?"). */
  try(args: string[]): Promise<string | null>;
}

export function git(conn: Connection, repo: string): Git {
  // A repo owned by the Odoo user and read by another is still read (safe.directory), and git
  // never stops to ask for a password on a terminal nobody watches.
  const base = ["git", "-c", `safe.directory=${repo}`, "-C", repo];
  const env = ["env", "GIT_TERMINAL_PROMPT=0", "LC_ALL=C"];
  return {
    async run(args, opts = {}) {
      // opts.env: NAME=value pairs naming files (a key's path), never a secret itself: argv is in ps.
      const r = await conn.exec([...env, ...(opts.env ?? []), ...base, ...args], {
        timeoutMs: opts.timeoutMs ?? 120_000,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (r.code !== 0)
        throw new AppError(
          "E_COMMAND_FAILED",
          `git ${args[0]} failed in ${repo}: ${r.stderr.trim() || r.stdout.trim()}`,
          {
            hint: "Run the same git command on the server to see what it needs",
          },
        );
      return r.stdout;
    },
    async try(args) {
      const r = await conn.exec([...env, ...base, ...args], { timeoutMs: 60_000 }).catch(() => null);
      return r && r.code === 0 ? r.stdout : null;
    },
  };
}
