import type { PluginDefinition } from "../server/sdk/index.ts";

/** Built-in plugins, in no particular order: the host orders them by dependsOn. */
export const builtinPlugins: PluginDefinition<any>[] = [];
