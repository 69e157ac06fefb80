/** deploy.credentials.*: a repository's deploy key or HTTPS token, as operations. */
import { defineOperation, z } from "../../../server/sdk/index.ts";
import type { DeployCtx } from "../settings.ts";
import { newDeployKey, removeCredential, setToken } from "./manage.ts";
import { CredentialStore } from "./store.ts";

const repo = z
  .string()
  .max(1000)
  .optional()
  .describe("Repository path on the server (when the instance has several)");

export function declareCredentialOperations(ctx: DeployCtx) {
  ctx.operations.declare(
    defineOperation({
      id: "deploy.credentials.list",
      title: "Deploy keys and tokens",
      description: "Which repositories fetch with a deploy key (its public half) or a token (never shown).",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["deploy", "read"],
      async run(op) {
        return new CredentialStore(ctx.db, ctx.secrets).list(op.instance!.id);
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "deploy.credentials.key",
      title: "Generate a deploy key",
      description:
        "A new ed25519 SSH key for the repository (replacing its key or token): add the public key answered here as a read-only deploy key on GitHub, GitLab or Gitea.",
      input: z.object({ repo }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["deploy"],
      async run(op, input) {
        const c = await newDeployKey(ctx, op.instance!, input.repo, op.actor);
        op.audit({ target: c.repo, details: { kind: c.kind } });
        return c;
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "deploy.credentials.token",
      title: "Set an HTTPS token",
      description:
        "Fetches over HTTPS with this token (replacing the repository's key or token); stored encrypted.",
      input: z.object({
        repo,
        token: z.string().min(8).max(2000).describe("The access token"),
        username: z.string().max(100).optional().describe("User name sent with it (default x-access-token)"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["deploy"],
      async run(op, input) {
        const c = await setToken(ctx, op.instance!, input, op.actor);
        op.audit({ target: c.repo, details: { kind: c.kind } });
        return c;
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "deploy.credentials.remove",
      title: "Remove a deploy key or token",
      description: "The repository fetches without credentials again.",
      input: z.object({ repo: z.string().min(1).max(1000).describe("Repository path on the server") }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["deploy"],
      async run(op, input) {
        await removeCredential(ctx, op.instance!, input.repo);
        op.audit({ target: input.repo });
        return { removed: input.repo };
      },
    }),
  );
}
