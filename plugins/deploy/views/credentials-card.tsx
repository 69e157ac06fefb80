/** Per repository: its deploy key (public half, to paste on the git host) or token; the secret half never. */
import { ui } from "../../../server/sdk/index.ts";
import type { Credential } from "../credentials/store.ts";
import type { RepoInfo } from "../repos/discover.ts";

export function Credentials(p: {
  base: string;
  repos: RepoInfo[];
  credentials: Credential[];
  canDeploy: boolean;
}) {
  if (!p.repos.length) return null;
  return (
    <table class="table" id="credentials">
      <tbody>
        {p.repos.map((r) => {
          const c = p.credentials.find((x) => x.repo === r.path);
          return (
            <tr data-repo={r.path}>
              <td>
                <code>{r.path}</code>
              </td>
              <td>
                {!c ? (
                  <span class="muted">none: git fetches as the server's user</span>
                ) : c.kind === "ssh-key" ? (
                  <>
                    deploy key (add it read-only on the git host):
                    <pre class="public-key">{c.publicKey}</pre>
                  </>
                ) : (
                  <>HTTPS token for {c.username} (stored encrypted)</>
                )}
              </td>
              {p.canDeploy ? (
                <td>
                  <ui.Form action={`${p.base}/credentials/key`}>
                    <input type="hidden" name="repo" value={r.path} />
                    <button type="submit">
                      {c?.kind === "ssh-key" ? "New deploy key" : "Generate deploy key"}
                    </button>
                  </ui.Form>
                  <ui.Form action={`${p.base}/credentials/token`}>
                    <input type="hidden" name="repo" value={r.path} />
                    <ui.Field label="User" name="username" value="x-access-token" />
                    <ui.Field label="HTTPS token" name="token" type="password" required autocomplete="off" />
                    <button type="submit">Use token</button>
                  </ui.Form>
                  {c ? (
                    <ui.Form action={`${p.base}/credentials/remove`}>
                      <input type="hidden" name="repo" value={r.path} />
                      <button type="submit" class="danger">
                        Remove
                      </button>
                    </ui.Form>
                  ) : null}
                </td>
              ) : null}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
