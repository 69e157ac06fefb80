import type { ModuleStatus } from "./report.ts";

export interface ModuleDiff {
  name: string;
  left: { state: string; version: string | null } | null;
  right: { state: string; version: string | null } | null;
}

export interface Comparison {
  onlyLeft: ModuleDiff[];
  onlyRight: ModuleDiff[];
  differentVersions: ModuleDiff[];
  differentStates: ModuleDiff[];
}

const INSTALLED_LIKE = new Set(["installed", "to upgrade", "to remove"]);

/**
 * "Only in left/right" is about installed modules (an uninstalled row exists in every database);
 * a module installed on both sides with other versions is a version difference; other state
 * differences (to upgrade vs installed, uninstallable vs uninstalled…) are listed apart.
 */
export function compareModules(left: ModuleStatus[], right: ModuleStatus[]): Comparison {
  const l = new Map(left.filter((m) => m.state !== "not in database").map((m) => [m.name, m]));
  const r = new Map(right.filter((m) => m.state !== "not in database").map((m) => [m.name, m]));
  const side = (m: ModuleStatus | undefined) => (m ? { state: m.state, version: m.installedVersion } : null);
  const out: Comparison = { onlyLeft: [], onlyRight: [], differentVersions: [], differentStates: [] };
  for (const name of [...new Set([...l.keys(), ...r.keys()])].sort()) {
    const a = l.get(name);
    const b = r.get(name);
    const diff = { name, left: side(a), right: side(b) };
    const ai = !!a && INSTALLED_LIKE.has(a.state);
    const bi = !!b && INSTALLED_LIKE.has(b.state);
    if (ai && !bi) out.onlyLeft.push(diff);
    else if (bi && !ai) out.onlyRight.push(diff);
    else if (ai && bi && a!.installedVersion !== b!.installedVersion) out.differentVersions.push(diff);
    else if (a && b && a.state !== b.state) out.differentStates.push(diff);
  }
  return out;
}
