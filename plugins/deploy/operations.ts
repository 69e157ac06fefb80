/** The plugin's actions, declared once: REST, OpenAPI, CLI and MCP come from these. */
import { defineOperation, z } from "../../server/sdk/index.ts";
import { discoverRepos, listRefs } from "./repos/discover.ts";
import { startDeploy } from "./run/deploy.ts";
import { startRollback } from "./run/rollback-run.ts";
import { DeployStore } from "./run/store.ts";
import type { DeployCtx } from "./settings.ts";

export function declareDeployOperations(ctx: DeployCtx) {
  ctx.operations.declare(
    defineOperation({
      id: "deploy.repos",
      title: "Addons repositories",
      description:
        "The git repositories of the instance's addons path: commit, branch, changes by hand, branches and tags.",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["deploy", "read"],
      http: { method: "GET", path: "/deploy/instances/{instance}/repos" },
      async run(op) {
        const inst = op.instance!;
        const conn = await inst.connection();
        const repos = await discoverRepos(inst);
        return Promise.all(repos.map(async (r) => ({ ...r, refs: await listRefs(conn, r.path) })));
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "deploy.history",
      title: "Deploy history",
      description: "The instance's deploys, newest first, with classification, backup and result.",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["deploy", "read"],
      async run(op) {
        return new DeployStore(ctx.db).list(op.instance!.id);
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "deploy.run",
      title: "Deploy a branch or commit",
      description:
        "Fetches, classifies the change (install / upgrade / restart / nothing), backs up when the database changes, checks out, runs odoo-bin -i/-u, restarts and smoke-checks; rolls code and data back on failure.",
      input: z.object({
        ref: z.string().min(1).max(200).describe("Branch, tag or commit"),
        repo: z
          .string()
          .max(1000)
          .optional()
          .describe("Repository path on the server (when the instance has several)"),
        backup: z
          .boolean()
          .optional()
          .describe("Back up first (default: when modules are installed or upgraded)"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      longRunning: true,
      tags: ["deploy"],
      async run(op, input) {
        const r = await startDeploy(ctx, op.instance!, {
          ref: input.ref,
          ...(input.repo ? { repo: input.repo } : {}),
          ...(input.backup !== undefined ? { backup: input.backup } : {}),
          trigger: "user",
          actor: op.actor,
        });
        op.audit({ target: input.ref, runId: r.runId });
        return { operationId: r.operationId, done: r.done };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "deploy.rollback",
      title: "Roll back a deploy",
      description:
        "Checks out the commit a deploy replaced and restores the backup taken before it when it changed the database.",
      input: z.object({
        run: z.number().int().positive().describe("The deploy to roll back (its number in the history)"),
      }),
      role: "operator",
      scope: "instance",
      danger: "destructive",
      longRunning: true,
      tags: ["deploy"],
      async run(op, input) {
        const r = await startRollback(ctx, op.instance!, input.run, op.actor);
        op.audit({ target: `deploy ${input.run}`, runId: r.runId });
        return { operationId: r.operationId, done: r.done };
      },
    }),
  );
}
