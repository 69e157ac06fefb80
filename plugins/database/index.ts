import { definePlugin } from "../../server/sdk/index.ts";
import { declareDatabaseOperations } from "./operations.ts";
import { databaseRoutes } from "./routes.tsx";
import { databaseSettings } from "./settings.ts";

export default definePlugin({
  id: "database",
  name: "Database",
  version: "1.0.0",
  sdk: "^1",
  description:
    "PostgreSQL and Odoo health of an instance's database: sizes, filestore, crons, mail queue, locks, vacuum",
  settings: databaseSettings,
  nav: [{ label: "Database", path: "/database", scope: "instance" }],
  register(ctx) {
    const { pages, api } = databaseRoutes(ctx);
    ctx.pages(pages);
    ctx.api(api);
    declareDatabaseOperations(ctx);
  },
});
