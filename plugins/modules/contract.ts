/**
 * What other plugins may ask of the modules plugin, as a typed service (consumers import this
 * type only, never the plugin's code): `ctx.services.get<ModulesService>(MODULES_SERVICE)`.
 * The deploy plugin uses it to upgrade only what changed (click-odoo-update's idea).
 */
export const MODULES_SERVICE = "modules.api";

export interface ModuleChecksum {
  name: string;
  /** ir_module_module.state */
  state: string;
  installedVersion: string | null;
  diskVersion: string | null;
  /** The module's files on disk now; null when missing, or when none was recorded to compare with. */
  checksum: string | null;
  /** The checksum recorded at the last install/upgrade, null when none was. */
  recorded: { checksum: string; recordedAt: string; recordedBy: string } | null;
  /** The files differ from the recorded checksum: an upgrade would deploy something. */
  changed: boolean;
  /** The manifest's version is higher than the installed one. */
  needsUpgrade: boolean;
  /** Installed but absent from every addons path: an upgrade would crash. */
  missing: boolean;
}

export interface ModulesService {
  /**
   * The installed modules of an instance, each with its checksum now and the one recorded.
   * @example const changed = (await modules.checksums(7)).filter((m) => m.changed).map((m) => m.name);
   */
  checksums(instanceId: number): Promise<ModuleChecksum[]>;
}
