import type { AddonsScan } from "../scan/addons-scan.ts";
import type { RecordedChecksum } from "../store/checksum-store.ts";
import { type DbModule, dependantsOf } from "./db-modules.ts";
import { adaptVersion, compareVersions, seriesOf } from "./versions.ts";

/** One module as the page shows it: database, disk and recorded checksum side by side. */
export interface ModuleStatus {
  name: string;
  /** ir_module_module.state, or "not in database" for a folder Odoo has not listed yet. */
  state: string;
  title: string | null;
  author: string | null;
  license: string | null;
  installedVersion: string | null;
  /** The manifest's version with the series added, as Odoo would record it. */
  diskVersion: string | null;
  addonsPath: string | null;
  depends: string[];
  dependants: string[];
  /** Installed but its code on disk has a higher version. */
  needsUpgrade: boolean;
  /** Installed but absent from every addons path: an upgrade will crash. */
  missing: boolean;
  manifestError: string | null;
  /** Files differ from the checksum recorded at the last install/upgrade ("record as deployed"). */
  changed: boolean;
  recorded: RecordedChecksum | null;
  checksum: string | null;
}

/** States in which Odoo expects the module's code to be present. */
export const LIVE_STATES = new Set(["installed", "to upgrade", "to remove"]);

export function buildReport(
  dbModules: DbModule[],
  scan: AddonsScan | null,
  recorded: Map<string, RecordedChecksum>,
  current: Map<string, string>,
): ModuleStatus[] {
  const series = seriesOf(dbModules.find((m) => m.name === "base")?.version) ?? "17.0";
  const dependants = dependantsOf(dbModules);
  const out: ModuleStatus[] = [];
  for (const m of dbModules) {
    const disk = scan?.modules.get(m.name) ?? null;
    const diskVersion = disk?.manifest ? adaptVersion(disk.manifest.version, series) : null;
    const live = LIVE_STATES.has(m.state);
    const rec = recorded.get(m.name) ?? null;
    const sum = current.get(m.name) ?? null;
    out.push({
      name: m.name,
      state: m.state,
      title: m.title,
      author: m.author,
      license: m.license,
      installedVersion: m.version,
      diskVersion,
      addonsPath: disk?.addonsPath ?? null,
      depends: m.depends,
      dependants: dependants.get(m.name) ?? [],
      needsUpgrade: live && !!diskVersion && !!m.version && compareVersions(diskVersion, m.version) > 0,
      // Without a scan (no addons path readable) nothing can be called missing.
      missing: live && !!scan && !disk,
      manifestError: disk?.manifestError ?? null,
      changed: live && !!rec && !!sum && rec.checksum !== sum,
      recorded: rec,
      checksum: sum,
    });
  }
  const known = new Set(dbModules.map((m) => m.name));
  for (const disk of scan?.modules.values() ?? []) {
    if (known.has(disk.name)) continue;
    out.push({
      name: disk.name,
      state: "not in database",
      title: disk.manifest?.name ?? null,
      author: disk.manifest?.author ?? null,
      license: disk.manifest?.license ?? null,
      installedVersion: null,
      diskVersion: disk.manifest ? adaptVersion(disk.manifest.version, series) : null,
      addonsPath: disk.addonsPath,
      depends: disk.manifest?.depends ?? [],
      dependants: [],
      needsUpgrade: false,
      missing: false,
      manifestError: disk.manifestError,
      changed: false,
      recorded: null,
      checksum: null,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export interface ReportSummary {
  installed: number;
  needsUpgrade: string[];
  changed: string[];
  missing: string[];
  unreadable: string[];
}

export function summarize(mods: ModuleStatus[]): ReportSummary {
  const names = (f: (m: ModuleStatus) => boolean) => mods.filter(f).map((m) => m.name);
  return {
    installed: mods.filter((m) => m.state === "installed").length,
    needsUpgrade: names((m) => m.needsUpgrade),
    changed: names((m) => m.changed),
    missing: names((m) => m.missing),
    unreadable: names((m) => !!m.manifestError),
  };
}
