/** Setting a repository's credential, shared by the Code tab's forms and the operations. */
import { AppError, type InstanceHandle } from "../../../server/sdk/index.ts";
import { pickRepo } from "../run/deploy.ts";
import type { DeployCtx } from "../settings.ts";
import { TOKEN_USER } from "./git-auth.ts";
import { generateDeployKey } from "./keygen.ts";
import { type Credential, CredentialStore } from "./store.ts";

const store = (ctx: DeployCtx) => new CredentialStore(ctx.db, ctx.secrets);

/** A new ed25519 key for the repository; its public half is what the user pastes on the git host. */
export async function newDeployKey(
  ctx: DeployCtx,
  inst: InstanceHandle,
  repoPath: string | undefined,
  actor: string,
): Promise<Credential> {
  const repo = await pickRepo(inst, repoPath);
  const key = await generateDeployKey(`odoodeck-deploy@${inst.name}`.replace(/[^\w@.-]/g, "-"));
  return store(ctx).put(
    {
      instanceId: inst.id,
      repo: repo.path,
      kind: "ssh-key",
      publicKey: key.publicKey,
      username: null,
      createdBy: actor,
    },
    key.privateKey,
  );
}

export async function setToken(
  ctx: DeployCtx,
  inst: InstanceHandle,
  input: { repo?: string; username?: string; token: string },
  actor: string,
): Promise<Credential> {
  const token = input.token.trim();
  if (token.length < 8 || /[\r\n]/.test(token))
    throw new AppError("E_VALIDATION", "That does not look like an access token", {
      hint: "Paste the token the git host made (one line, 8 characters or more)",
    });
  const username = input.username?.trim() || "x-access-token";
  if (!TOKEN_USER.test(username))
    throw new AppError("E_VALIDATION", `"${username}" is not a user name git hosts use`, {
      hint: "GitHub: x-access-token; GitLab: oauth2 or the token's name; Gitea: your user name",
    });
  const repo = await pickRepo(inst, input.repo);
  return store(ctx).put(
    { instanceId: inst.id, repo: repo.path, kind: "token", publicKey: null, username, createdBy: actor },
    token,
  );
}

export async function removeCredential(
  ctx: DeployCtx,
  inst: InstanceHandle,
  repoPath: string,
): Promise<void> {
  if (!(await store(ctx).remove(inst.id, repoPath.replace(/\/+$/, ""))))
    throw new AppError("E_NOT_FOUND", `${repoPath} has no deploy key or token on ${inst.name}`);
}
