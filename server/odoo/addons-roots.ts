/**
 * Where Odoo 17 looks for modules, in its order (odoo/modules/module.py `initialize_sys_path`,
 * `get_module_path`; odoo/tools/misc.py `file_path`): its own `<odoo>/odoo/addons` first, then
 * `data_dir/addons/<series>`, then every `addons_path` entry in order. The first root holding a
 * module (or a module's file) wins: a copy further down is a shadow Odoo never loads.
 * One resolver, shared by neutralization and the modules plugin.
 */
import type { Connection } from "../connections/types.ts";
import { toAppError } from "../errors.ts";

export interface AddonsRoot {
  path: string;
  source: "odoo" | "data_dir" | "addons_path";
  /** "ok"; "missing" (no such folder: Odoo skips it too); "unreadable" (exists, cannot be read). */
  state: "ok" | "missing" | "unreadable";
  error?: string;
}

export interface LayoutInput {
  addonsPaths: string[];
  dataDir?: string | null;
  /** "17.0"; data_dir/addons/<series> is searched only when known. */
  series?: string | null;
  /** odoo-bin (or the script the process runs): its folder is the Odoo root. */
  odooBin?: string | null;
}

const trim = (p: string) => p.replace(/\/+$/, "") || "/";
const parent = (p: string) => trim(p).replace(/\/[^/]*$/, "") || "/";

async function isDir(conn: Connection, path: string): Promise<boolean> {
  return (await conn.stat(path).catch(() => null))?.type === "dir";
}

/**
 * The Odoo source root (the folder holding `odoo/addons/base`): beside odoo-bin when known, else
 * derived from addons_path (`<odoo>/addons` of a git checkout, or `<odoo>/odoo/addons` itself).
 */
export async function findOdooRoot(conn: Connection, input: LayoutInput): Promise<string | null> {
  const candidates: string[] = [];
  if (input.odooBin?.startsWith("/")) candidates.push(parent(input.odooBin));
  for (const raw of input.addonsPaths) {
    const p = trim(raw);
    if (p.endsWith("/odoo/addons")) candidates.push(parent(parent(p)));
    candidates.push(parent(p));
  }
  for (const root of new Set(candidates))
    if (await isDir(conn, `${root === "/" ? "" : root}/odoo/addons/base`)) return root;
  return null;
}

async function rootState(conn: Connection, path: string): Promise<Pick<AddonsRoot, "state" | "error">> {
  try {
    const st = await conn.stat(path);
    if (!st) return { state: "missing" };
    if (st.type !== "dir") return { state: "unreadable", error: `${path} is not a folder` };
    await conn.list(path); // a folder we cannot list hides its modules
    return { state: "ok" };
  } catch (e) {
    return { state: "unreadable", error: toAppError(e).message };
  }
}

/** Odoo's search order for modules, each root with whether it can be read from here. */
export async function addonsRoots(conn: Connection, input: LayoutInput): Promise<AddonsRoot[]> {
  const list: Array<Pick<AddonsRoot, "path" | "source">> = [];
  const root = await findOdooRoot(conn, input);
  if (root) list.push({ path: `${root === "/" ? "" : root}/odoo/addons`, source: "odoo" });
  if (input.dataDir && input.series)
    list.push({ path: `${trim(input.dataDir)}/addons/${input.series}`, source: "data_dir" });
  for (const p of input.addonsPaths) list.push({ path: trim(p), source: "addons_path" });
  const seen = new Set<string>();
  const out: AddonsRoot[] = [];
  for (const r of list) {
    if (seen.has(r.path)) continue; // Odoo appends a path only once
    seen.add(r.path);
    const st = await rootState(conn, r.path);
    // Odoo hooks data_dir/addons only when it is readable; a missing one is not news.
    if (r.source === "data_dir" && st.state === "missing") continue;
    out.push({ ...r, ...st });
  }
  return out;
}

export type FileLookup =
  | { found: true; path: string; root: AddonsRoot }
  | { found: false; unreadable: Array<{ path: string; error: string }> };

/**
 * The first `<root>/<relative>` that exists, as Odoo's `file_path` finds `crm/data/neutralize.sql`.
 * A root or file that cannot be read is reported rather than skipped: the caller decides to fail.
 */
export async function findModuleFile(
  conn: Connection,
  roots: AddonsRoot[],
  relative: string,
): Promise<FileLookup> {
  const unreadable: Array<{ path: string; error: string }> = [];
  for (const root of roots) {
    if (root.state === "missing") continue;
    const path = `${root.path === "/" ? "" : root.path}/${relative}`;
    if (root.state === "unreadable") {
      unreadable.push({ path, error: root.error ?? "cannot be read" });
      continue;
    }
    try {
      if (await conn.stat(path)) return { found: true, path, root };
    } catch (e) {
      unreadable.push({ path, error: toAppError(e).message });
    }
  }
  return { found: false, unreadable };
}
