import type { PluginContext, SettingsSchema } from "../../server/sdk/index.ts";

export const deploySettings = {
  odooBin: {
    type: "string",
    label: "odoo-bin path",
    default: "",
    help: "Runs -i/-u after a deploy. Empty: what the running Odoo uses, odoo-bin of the checkout, then PATH",
  },
  backupFirst: {
    type: "select",
    label: "Back up before a deploy",
    default: "data-changes",
    options: ["data-changes", "always", "never"],
    help: "data-changes: when the deploy installs or upgrades modules (the database changes)",
  },
  readyTimeoutS: {
    type: "number",
    label: "Smoke check timeout (s)",
    default: 120,
    min: 5,
    max: 3600,
  },
} as const satisfies SettingsSchema;

export type DeployCtx = PluginContext<typeof deploySettings>;
