/** deploy.hooks.list / create / delete: the Code tab's webhook list as operations. */
import { defineOperation, z } from "../../../server/sdk/index.ts";
import type { DeployCtx } from "../settings.ts";
import { addHook, deleteHook } from "./manage.ts";
import type { HookStore } from "./store.ts";

export function declareHookOperations(ctx: DeployCtx, hooks: HookStore) {
  ctx.operations.declare(
    defineOperation({
      id: "deploy.hooks.list",
      title: "Push webhooks",
      description:
        "The instance's push webhooks: repository and branch they deploy (never the secret or URL).",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["deploy", "read"],
      async run(op) {
        return hooks.list(op.instance!.id);
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "deploy.hooks.create",
      title: "Add a push webhook",
      description:
        "A URL that deploys pushes to one branch; the git host signs each push with the secret. The URL is answered once, only here.",
      input: z.object({
        branch: z.string().min(1).max(200).describe("The branch whose pushes deploy"),
        secret: z
          .string()
          .min(16)
          .max(500)
          .describe("The secret set on the git host (16 characters or more)"),
        repo: z
          .string()
          .max(1000)
          .optional()
          .describe("Repository path on the server (when the instance has several)"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["deploy"],
      async run(op, input) {
        const r = await addHook(ctx, hooks, op.instance!, input, op.actor);
        op.audit({ target: input.branch, details: { hook: r.hook.id } });
        return { ...r.hook, url: r.url };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "deploy.hooks.delete",
      title: "Delete a push webhook",
      description: "Its URL stops deploying at once; pushes to it are refused as unsigned.",
      input: z.object({ id: z.number().int().positive().describe("The webhook's number in the list") }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["deploy"],
      async run(op, input) {
        await deleteHook(hooks, op.instance!, input.id);
        op.audit({ target: `webhook ${input.id}` });
        return { deleted: input.id };
      },
    }),
  );
}
