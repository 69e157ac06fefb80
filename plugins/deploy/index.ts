/**
 * Deployments: the git repositories behind an instance's addons, a deploy that classifies the
 * change like Odoo.sh (install / upgrade / restart / nothing), backs up first, smoke-checks and
 * rolls code and data back together, and push webhooks from GitHub, GitLab and Gitea.
 */
import { definePlugin } from "../../server/sdk/index.ts";
import { declareCredentialOperations } from "./credentials/operations.ts";
import * as m0001 from "./migrations/0001-deploys.ts";
import * as m0002 from "./migrations/0002-credentials.ts";
import { declareDeployOperations } from "./operations.ts";
import { DeployStore } from "./run/store.ts";
import { deploySettings } from "./settings.ts";
import { overviewCard } from "./views/overview-card.tsx";
import { codeRoutes } from "./views/routes.tsx";
import { hookRoutes } from "./webhooks/routes.ts";
import { declareHookOperations } from "./webhooks/operations.ts";
import { HookStore } from "./webhooks/store.ts";

export default definePlugin({
  id: "deploy",
  name: "Deployments",
  version: "1.0.0",
  sdk: "^2",
  description: "Git-aware deploys: classify, back up first, smoke check, roll back; push webhooks",
  capabilities: ["connections", "odoo-database"],
  migrations: { "0001-deploys": m0001, "0002-credentials": m0002 },
  settings: deploySettings,
  nav: [{ label: "Code", path: "/code", scope: "instance" }],
  register(ctx) {
    const hooks = new HookStore(ctx.db, ctx.secrets);
    ctx.pages(codeRoutes(ctx, hooks));
    ctx.publicRoutes(hookRoutes(ctx, hooks));
    declareDeployOperations(ctx);
    declareHookOperations(ctx, hooks);
    declareCredentialOperations(ctx);
    ctx.views.card({ order: 40, render: overviewCard(ctx) });
  },
  async start(ctx) {
    await new DeployStore(ctx.db).markInterrupted(); // deploys a previous process left going
  },
});
