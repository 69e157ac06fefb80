import { definePlugin } from "../../server/sdk/index.ts";
import * as m0001 from "./migrations/0001-checksums.ts";
import * as m0002 from "./migrations/0002-actions.ts";
import { modulesRoutes } from "./http/routes.tsx";
import { declareActionOperations } from "./ops/action-ops.ts";
import { declareReadOperations } from "./ops/read-ops.ts";
import { MODULES_SERVICE } from "./contract.ts";
import { modulesService } from "./report/modules-service.ts";
import { modulesSettings } from "./settings.ts";
import { ChecksumStore } from "./store/checksum-store.ts";

export default definePlugin({
  id: "modules",
  name: "Modules",
  version: "1.0.0",
  sdk: "^1",
  description:
    "Installed modules vs the code on disk: versions, checksums, missing modules, compare, upgrade",
  migrations: { "0001-checksums": m0001, "0002-actions": m0002 },
  settings: modulesSettings,
  nav: [{ label: "Modules", path: "/modules", scope: "instance" }],
  register(ctx) {
    const { pages, api } = modulesRoutes(ctx);
    ctx.pages(pages);
    ctx.api(api);
    const store = new ChecksumStore(ctx.db);
    declareReadOperations(ctx, store);
    declareActionOperations(ctx);
    ctx.services.provide(MODULES_SERVICE, modulesService(ctx, store));
  },
});
