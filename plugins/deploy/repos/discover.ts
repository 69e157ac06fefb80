/**
 * The git repositories behind an instance's modules: each addons root Odoo searches (the SDK's
 * resolver, in Odoo's order) that lies in a git work tree, grouped by work tree, with what a
 * user asks first: which commit, which branch, anything changed by hand.
 */
import { type Connection, type InstanceHandle, odoo } from "../../../server/sdk/index.ts";
import { git } from "./git.ts";

export interface RepoInfo {
  /** The work tree's top folder on the instance's server. */
  path: string;
  /** The addons roots of the instance inside this repository, relative to it ("" = its top). */
  addonsDirs: string[];
  commit: string;
  /** Null when HEAD is detached (a commit was deployed rather than a branch). */
  branch: string | null;
  subject: string;
  committedAt: string;
  /** Files changed or added by hand: a deploy refuses to run over them. */
  dirty: string[];
  /** origin's URL with any credentials taken out. */
  remote: string | null;
}

/** https://user:token@host/x → https://host/x: a URL may carry a token, a page never shows it. */
export const withoutCredentials = (url: string) => url.replace(/^([a-z+]+:\/\/)[^@/]*@/i, "$1");

export async function repoInfo(conn: Connection, path: string, addonsDirs: string[] = []): Promise<RepoInfo> {
  const g = git(conn, path);
  const [head, branch, status, remote] = await Promise.all([
    g.run(["log", "-1", "--format=%H%x00%s%x00%cI"]),
    g.try(["symbolic-ref", "-q", "--short", "HEAD"]),
    g.run(["status", "--porcelain"]),
    g.try(["remote", "get-url", "origin"]),
  ]);
  const [commit, subject, committedAt] = head.trim().split("\0");
  return {
    path,
    addonsDirs,
    commit,
    branch: branch?.trim() || null,
    subject: subject ?? "",
    committedAt: committedAt ?? "",
    dirty: status
      .split("\n")
      .filter(Boolean)
      .map((l) => l.slice(3)),
    remote: remote?.trim() ? withoutCredentials(remote.trim()) : null,
  };
}

/** The repositories of an instance, in the order Odoo searches their addons roots. */
export async function discoverRepos(inst: InstanceHandle): Promise<RepoInfo[]> {
  const conn = await inst.connection();
  const { settings } = await inst.odoo();
  const roots = await odoo.addonsRoots(conn, {
    addonsPaths: settings.addonsPaths,
    dataDir: settings.dataDir,
  });
  const byTop = new Map<string, string[]>();
  for (const r of roots) {
    if (r.state !== "ok") continue;
    const top = (await git(conn, r.path).try(["rev-parse", "--show-toplevel"]))?.trim();
    if (!top) continue; // not in a work tree: nothing to deploy there
    const rel = r.path === top ? "" : r.path.startsWith(`${top}/`) ? r.path.slice(top.length + 1) : null;
    if (rel === null) continue;
    byTop.set(top, [...(byTop.get(top) ?? []), rel]);
  }
  const out: RepoInfo[] = [];
  for (const [top, dirs] of byTop) out.push(await repoInfo(conn, top, dirs));
  return out;
}

/** Branches (local and origin's), then tags, for the Deploy form's picker. */
export async function listRefs(
  conn: Connection,
  path: string,
): Promise<{ branches: string[]; tags: string[] }> {
  const out = await git(conn, path).run([
    "for-each-ref",
    "--format=%(refname)",
    "refs/heads",
    "refs/remotes/origin",
    "refs/tags",
  ]);
  const branches = new Set<string>();
  const tags: string[] = [];
  for (const ref of out.split("\n").filter(Boolean)) {
    if (ref.startsWith("refs/heads/")) branches.add(ref.slice(11));
    else if (ref.startsWith("refs/remotes/origin/") && !ref.endsWith("/HEAD")) branches.add(ref.slice(20));
    else if (ref.startsWith("refs/tags/")) tags.push(ref.slice(10));
  }
  return { branches: [...branches].sort(), tags: tags.sort() };
}
