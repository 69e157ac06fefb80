import type { PluginContext, SettingsSchema } from "../../server/sdk/index.ts";

export const databaseSettings = {
  longQuerySeconds: {
    type: "number",
    label: "Long query threshold (seconds)",
    default: 60,
    min: 1,
    help: "Queries running longer are highlighted on the Database page",
  },
} as const satisfies SettingsSchema;

export type DatabaseCtx = PluginContext<typeof databaseSettings>;
