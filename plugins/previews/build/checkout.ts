/**
 * A preview's branch as a git worktree of the addons repository on the server: no second clone,
 * seconds to make. Commands are argument arrays; a branch name cannot become an option (`--`).
 */
import { AppError, type Connection } from "../../../server/sdk/index.ts";

const BRANCH = /^(?!-)[A-Za-z0-9._/-]{1,200}$/;

async function git(conn: Connection, args: string[], timeoutMs = 300_000): Promise<string> {
  const res = await conn.exec(["git", ...args], { timeoutMs, env: { GIT_TERMINAL_PROMPT: "0" } });
  if (res.code !== 0)
    throw new AppError(
      "E_COMMAND_FAILED",
      `git ${args[2] ?? args[0]} failed: ${res.stderr.trim().slice(-400)}`,
    );
  return res.stdout.trim();
}

/** The commit `branch` points at now: the remote's (fetched) when the repository has origin. */
async function resolveBranch(conn: Connection, repo: string, branch: string): Promise<string> {
  if (!BRANCH.test(branch) || branch.includes(".."))
    throw new AppError("E_VALIDATION", `"${branch}" is not a branch name`);
  const remotes = await git(conn, ["-C", repo, "remote"]);
  if (remotes.split("\n").includes("origin")) {
    await git(conn, ["-C", repo, "fetch", "--quiet", "origin", "--", branch]);
    return git(conn, ["-C", repo, "rev-parse", "--verify", "FETCH_HEAD^{commit}"]);
  }
  return git(conn, ["-C", repo, "rev-parse", "--verify", `refs/heads/${branch}^{commit}`]).catch(() => {
    throw new AppError("E_VALIDATION", `Branch ${branch} does not exist in ${repo}`);
  });
}

export async function checkoutBranch(conn: Connection, repo: string, branch: string, dir: string) {
  const sha = await resolveBranch(conn, repo, branch);
  await git(conn, ["-C", repo, "worktree", "add", "--detach", "--", dir, sha]);
  return sha;
}

/** Moves the worktree to the branch's newest commit; returns it. */
export async function updateCheckout(conn: Connection, repo: string, branch: string, dir: string) {
  const sha = await resolveBranch(conn, repo, branch);
  await git(conn, ["-C", dir, "checkout", "--quiet", "--detach", sha]);
  return sha;
}

export async function removeCheckout(conn: Connection, repo: string, dir: string): Promise<void> {
  if (await conn.stat(dir))
    await git(conn, ["-C", repo, "worktree", "remove", "--force", "--", dir]).catch(() => {});
  await git(conn, ["-C", repo, "worktree", "prune"]).catch(() => {});
}

/**
 * The modules the branch carries (folders with a manifest) and their git tree hashes: a hash is
 * the exact content, so "update" upgrades only modules whose hash changed.
 */
export async function branchModules(conn: Connection, dir: string): Promise<Record<string, string>> {
  const out = await git(conn, ["-C", dir, "ls-tree", "HEAD"]);
  const trees = out
    .split("\n")
    .map((l) => /^\d+ tree ([0-9a-f]+)\t(.+)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m);
  const mods: Record<string, string> = {};
  for (const [, hash, name] of trees)
    if (/^[a-z0-9_]+$/.test(name) && (await conn.stat(`${dir}/${name}/__manifest__.py`))) mods[name] = hash;
  return mods;
}
