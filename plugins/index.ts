import type { PluginDefinition } from "../server/sdk/index.ts";
import backup from "./backup/index.ts";
import health from "./health/index.ts";
import configDiff from "./config-diff/index.ts";
import modules from "./modules/index.ts";
import database from "./database/index.ts";
import logs from "./logs/index.ts";
import deploy from "./deploy/index.ts";
import mailCatcher from "./mail-catcher/index.ts";
import previews from "./previews/index.ts";
import notifications from "./notifications/index.ts";

/** Built-in plugins, in no particular order: the host orders them by dependsOn. */
export const builtinPlugins: PluginDefinition<any>[] = [
  configDiff,
  modules,
  database,
  health,
  backup,
  logs,
  deploy,
  mailCatcher,
  previews,
  notifications,
];
