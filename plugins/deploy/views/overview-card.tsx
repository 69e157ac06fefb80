/**
 * The instance card's block: each addons repository's branch, commit and dirty state, read live
 * from the server. Bounded in time: a slow or unreachable server never holds up the dashboard.
 */
import { type InstanceHandle, ui } from "../../../server/sdk/index.ts";
import { discoverRepos, type RepoInfo } from "../repos/discover.ts";
import type { DeployCtx } from "../settings.ts";

const WAIT_MS = 3000;

export function overviewCard(ctx: DeployCtx) {
  return async (inst: InstanceHandle) => {
    const code = `/p/${ctx.id}/i/${inst.id}/code`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => {
      timer = setTimeout(() => r("late"), WAIT_MS);
    });
    const repos = await Promise.race([discoverRepos(inst), late]).finally(() => clearTimeout(timer));
    if (repos === "late")
      return (
        <p class="muted">
          Code: the server is slow to answer (<a href={code}>open</a>)
        </p>
      );
    if (!repos.length) return <p class="muted">Code: no git repository in the addons path</p>;
    return (
      <ul class="deploy-repos">
        {repos.map((r) => (
          <RepoLine r={r} code={code} />
        ))}
      </ul>
    );
  };
}

function RepoLine({ r, code }: { r: RepoInfo; code: string }) {
  return (
    <li data-repo={r.path}>
      <a href={code}>{r.path.split("/").pop()}</a> {r.branch ?? <ui.Badge kind="muted">detached</ui.Badge>}{" "}
      <code class="commit">{r.commit.slice(0, 12)}</code>{" "}
      {r.dirty.length ? (
        <ui.Badge kind="warn">dirty: {r.dirty.length} changed by hand</ui.Badge>
      ) : (
        <ui.Badge kind="ok">clean</ui.Badge>
      )}
    </li>
  );
}
