import type { PluginContext, SettingsSchema } from "../../server/sdk/index.ts";

export const modulesSettings = {
  odooBin: {
    type: "string",
    label: "odoo-bin path",
    default: "",
    help: "Executable used for install/upgrade/uninstall on the instance's server. Empty: the command the running Odoo uses (python3 odoo-bin included), odoo-bin of the Odoo checkout, then PATH",
  },
  containerOdooBin: {
    type: "string",
    label: "Odoo executable inside containers",
    default: "odoo",
    help: "Used through docker exec when the instance has a container",
  },
  backupFirst: {
    type: "select",
    label: "Back up before install/upgrade/uninstall",
    default: "production",
    options: ["production", "always", "never"],
    help: "Default of the “back up first” box: on for production instances only, always, or never",
  },
  checksumSkipStatic: {
    type: "boolean",
    label: "Ignore static/ in checksums",
    default: false,
    help: "Asset-only changes then do not count as a module change",
  },
} as const satisfies SettingsSchema;

export type ModulesCtx = PluginContext<typeof modulesSettings>;
