/**
 * Classifies the change between two commits of an addons repository, module by module: a module
 * that appears is installed; one whose manifest version or data files changed is upgraded; Python
 * alone needs a restart; static assets nothing. A module's git tree id is its content checksum
 * (same files, same bytes → same id), so an unchanged module is never upgraded.
 */
import type { Connection } from "../../../server/sdk/index.ts";
import { git } from "../repos/git.ts";
import { type Action, fileAction, heaviest, manifestVersion } from "./rules.ts";

export interface ModuleChange {
  module: string;
  /** The module's folder inside the repository. */
  dir: string;
  /** "removed": gone from the new commit; Odoo keeps it installed, a user must uninstall it. */
  action: Action | "removed";
  reasons: string[];
  files: string[];
  /** git tree ids of the module folder at both commits: its checksum before and after. */
  checksum: { old: string | null; new: string | null };
}

export interface Classification {
  from: string;
  to: string;
  action: Action;
  install: string[];
  upgrade: string[];
  restart: boolean;
  /** Static files changed: browsers get new bundles (Odoo keys them by checksum). */
  cacheBust: boolean;
  modules: ModuleChange[];
  /** Changed files outside any module folder. */
  otherFiles: string[];
}

const MANIFESTS = ["__manifest__.py", "__openerp__.py"];

/** Module folders (relative to the repo) at a commit: `<addonsDir>/<name>/__manifest__.py`. */
async function modulesAt(
  g: ReturnType<typeof git>,
  commit: string,
  addonsDirs: string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  const list = await g.run(["ls-tree", "-r", "--name-only", commit]);
  for (const f of list.split("\n")) {
    const slash = f.lastIndexOf("/");
    if (slash < 0 || !MANIFESTS.includes(f.slice(slash + 1))) continue;
    const dir = f.slice(0, slash);
    const parent = dir.includes("/") ? dir.slice(0, dir.lastIndexOf("/")) : "";
    if (addonsDirs.includes(parent)) out.add(dir);
  }
  return out;
}

export async function classifyChange(
  conn: Connection,
  repo: string,
  from: string,
  to: string,
  addonsDirs: string[] = [""],
): Promise<Classification> {
  const g = git(conn, repo);
  const dirs = addonsDirs.length ? addonsDirs : [""];
  const [before, after, diff] = await Promise.all([
    modulesAt(g, from, dirs),
    modulesAt(g, to, dirs),
    g.run(["diff", "--name-only", "--no-renames", "-z", from, to]),
  ]);
  const byModule = new Map<string, string[]>();
  const otherFiles: string[] = [];
  const known = [...new Set([...before, ...after])].sort((a, b) => b.length - a.length);
  for (const f of diff.split("\0").filter(Boolean)) {
    const dir = known.find((d) => f.startsWith(`${d}/`));
    if (dir) byModule.set(dir, [...(byModule.get(dir) ?? []), f.slice(dir.length + 1)]);
    else otherFiles.push(f);
  }
  const modules: ModuleChange[] = [];
  for (const [dir, files] of [...byModule].sort())
    modules.push(await moduleChange(g, dir, files, from, to, before, after));
  const acts = modules.map((m) => (m.action === "removed" ? "none" : m.action));
  const otherPy = otherFiles.some((f) => f.endsWith(".py"));
  const action = heaviest([...acts, otherPy ? "restart" : "none"]);
  return {
    from,
    to,
    action,
    install: modules.filter((m) => m.action === "install").map((m) => m.module),
    upgrade: modules.filter((m) => m.action === "upgrade").map((m) => m.module),
    // An install or upgrade restarts Odoo anyway; any Python change needs it too.
    restart: action !== "none",
    cacheBust: modules.some((m) => m.files.some((f) => f.startsWith("static/"))),
    modules,
    otherFiles,
  };
}

async function moduleChange(
  g: ReturnType<typeof git>,
  dir: string,
  files: string[],
  from: string,
  to: string,
  before: Set<string>,
  after: Set<string>,
): Promise<ModuleChange> {
  const module = dir.slice(dir.lastIndexOf("/") + 1);
  const tree = async (c: string) =>
    (await g.try(["rev-parse", "--verify", "-q", `${c}:${dir}`]))?.trim() || null;
  const checksum = { old: await tree(from), new: await tree(to) };
  const base = { module, dir, files, checksum };
  if (!after.has(dir)) return { ...base, action: "removed", reasons: ["module removed from the code"] };
  if (!before.has(dir)) return { ...base, action: "install", reasons: ["new module"] };
  if (checksum.old === checksum.new) return { ...base, action: "none", reasons: ["same checksum"] };
  const reasons: string[] = [];
  const manifest = files.find((f) => MANIFESTS.includes(f));
  if (manifest) {
    const show = async (c: string) => g.try(["show", `${c}:${dir}/${manifest}`]);
    const [v0, v1] = [manifestVersion(await show(from)), manifestVersion(await show(to))];
    if (v0 !== v1) reasons.push(`version ${v0 ?? "none"} → ${v1 ?? "none"}`);
  }
  const rules = files.map(fileAction);
  for (const r of rules) if (r.action !== "none" || !reasons.includes(r.reason)) reasons.push(r.reason);
  const action = reasons.some((r) => r.startsWith("version "))
    ? "upgrade"
    : heaviest(rules.map((r) => r.action));
  return { ...base, action, reasons: [...new Set(reasons)] };
}
