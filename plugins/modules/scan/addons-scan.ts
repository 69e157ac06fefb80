import { type Connection, odoo, toAppError } from "../../../server/sdk/index.ts";
import { mapLimit } from "./concurrency.ts";
import { type Manifest, parseManifest } from "./manifest.ts";
import { readTextOrNull } from "./read-text.ts";

/** A module folder found on disk. */
export interface DiskModule {
  name: string;
  /** The addons path it comes from (the first one wins, as in Odoo). */
  addonsPath: string;
  dir: string;
  manifest: Manifest | null;
  /** Why the manifest could not be read ("manifest unreadable"); null when it was. */
  manifestError: string | null;
  /** Copies of the same module further down the addons path, shadowed by this one. */
  shadowed: string[];
}

export interface AddonsPathStatus {
  path: string;
  /** Why Odoo searches it: its own odoo/addons, data_dir/addons/<series>, or addons_path. */
  source?: odoo.AddonsRoot["source"];
  modules: number;
  error: { code: string; message: string; hint?: string } | null;
}

export interface AddonsScan {
  paths: AddonsPathStatus[];
  modules: Map<string, DiskModule>;
}

const MODULE_NAME = /^[A-Za-z0-9_]+$/;

/**
 * Scans the folders Odoo 17 searches, in its order (see server/odoo/addons-roots.ts): a module
 * is shown from the first one that holds it, as Odoo loads it; later copies are shadows.
 */
export async function scanOdooAddons(
  conn: Connection,
  settings: Pick<odoo.InstanceSettings, "addonsPaths" | "dataDir">,
  series: string | null,
  odooBin?: string | null,
): Promise<AddonsScan> {
  const roots = await odoo.addonsRoots(conn, {
    addonsPaths: settings.addonsPaths,
    dataDir: settings.dataDir,
    series,
    odooBin,
  });
  const scan = await scanAddons(
    conn,
    roots.map((r) => r.path),
  );
  for (const p of scan.paths) p.source = roots.find((r) => r.path === p.path)?.source;
  return scan;
}

/** Walks every addons path through the connection; a bad path is reported, the others still count. */
export async function scanAddons(conn: Connection, addonsPaths: string[]): Promise<AddonsScan> {
  const modules = new Map<string, DiskModule>();
  const paths: AddonsPathStatus[] = [];
  for (const raw of addonsPaths) {
    const path = raw.replace(/\/+$/, "") || "/";
    try {
      const found = await scanOne(conn, path);
      for (const m of found) {
        const prev = modules.get(m.name);
        if (prev) prev.shadowed.push(m.dir);
        else modules.set(m.name, m);
      }
      paths.push({ path, modules: found.length, error: null });
    } catch (e) {
      paths.push({ path, modules: 0, error: odoo.addonsPathProblem(path, e) });
    }
  }
  return { paths, modules };
}

async function scanOne(conn: Connection, path: string): Promise<DiskModule[]> {
  const entries = await conn.list(path);
  const dirs: string[] = [];
  for (const e of entries) {
    if (!MODULE_NAME.test(e.name)) continue;
    if (e.type === "dir") dirs.push(e.name);
    else if (e.type === "symlink" && (await conn.stat(e.path))?.type === "dir") dirs.push(e.name);
  }
  const found = await mapLimit(dirs, 8, async (name): Promise<DiskModule | null> => {
    const dir = `${path}/${name}`;
    const text = await readTextOrNull(conn, `${dir}/__manifest__.py`);
    if (text === null) return null;
    const parsed = parseManifest(text);
    return {
      name,
      addonsPath: path,
      dir,
      manifest: parsed.ok ? parsed.manifest : null,
      manifestError: parsed.ok ? null : `manifest unreadable: ${parsed.error}`,
      shadowed: [],
    };
  });
  return found.filter((m): m is DiskModule => m !== null);
}
