/**
 * Lends a repository's credential to one git network call on the instance's server. The key or
 * token goes into a private temporary folder there (mktemp -d, 0700; files 0600) and the folder is
 * removed afterwards, whatever happened. Only file paths reach the command line (ps shows argv):
 * - SSH key: GIT_SSH_COMMAND="ssh -i <key> -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new"
 *   with a known_hosts file odoodeck keeps, so the git host's key is pinned on first use and a
 *   changed key is refused, independent of the server user's ~/.ssh;
 * - HTTPS token: GIT_ASKPASS=<script> that prints the token from its 0600 file, with
 *   credential.helper emptied so no helper stores or supplies another one.
 */
import { AppError, type Connection } from "../../../server/sdk/index.ts";
import type { CredentialSecret } from "./store.ts";

/** A user name the askpass script may print: it is written into the script. */
export const TOKEN_USER = /^[A-Za-z0-9._@+-]{1,100}$/;

export interface GitAuth {
  /** NAME=value pairs for `env` before git: paths only. */
  env: string[];
}

export async function withGitAuth<T>(
  conn: Connection,
  cred: CredentialSecret | null,
  fn: (auth: GitAuth) => Promise<T>,
  onNewHosts?: (knownHosts: string) => Promise<void>,
): Promise<T> {
  if (!cred) return fn({ env: [] });
  const made = await conn.exec(["mktemp", "-d", "-t", "odoodeck-git.XXXXXXXXXX"], { timeoutMs: 15_000 });
  const dir = made.stdout.trim();
  if (made.code !== 0 || !dir.startsWith("/") || /['\s]/.test(dir))
    throw new AppError("E_COMMAND_FAILED", `Cannot make a private temporary folder: ${made.stderr.trim()}`, {
      hint: "The server's temporary folder must be writable (mktemp -d)",
    });
  try {
    if (cred.kind === "ssh-key") {
      const hosts = `${dir}/known_hosts`;
      await conn.writeFile(`${dir}/key`, cred.secret.endsWith("\n") ? cred.secret : `${cred.secret}\n`, {
        mode: 0o600,
      });
      await conn.writeFile(hosts, cred.knownHosts ?? "", { mode: 0o600 });
      const ssh = `ssh -i '${dir}/key' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile='${hosts}' -o BatchMode=yes`;
      const out = await fn({ env: [`GIT_SSH_COMMAND=${ssh}`] });
      const seen = await new Response(conn.readFile(hosts)).text();
      if (seen.trim() && seen !== (cred.knownHosts ?? "")) await onNewHosts?.(seen);
      return out;
    }
    const user = cred.username || "x-access-token";
    if (!TOKEN_USER.test(user))
      throw new AppError("E_VALIDATION", `"${user}" is not a user name git hosts use`);
    await conn.writeFile(`${dir}/token`, cred.secret, { mode: 0o600 });
    await conn.writeFile(
      `${dir}/askpass`,
      `#!/bin/sh\ncase "$1" in Username*) echo '${user}' ;; *) cat '${dir}/token' ;; esac\n`,
      { mode: 0o700 },
    );
    return await fn({
      env: [
        `GIT_ASKPASS=${dir}/askpass`,
        // = git -c credential.helper= (in the environment so it applies before any repo config)
        "GIT_CONFIG_COUNT=1",
        "GIT_CONFIG_KEY_0=credential.helper",
        "GIT_CONFIG_VALUE_0=",
      ],
    });
  } finally {
    await conn
      .remove(dir, { recursive: true })
      .catch(() => conn.exec(["rm", "-rf", "--", dir]))
      .catch(() => {});
  }
}
