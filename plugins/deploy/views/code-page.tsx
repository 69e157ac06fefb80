/** The instance's "Code" tab: its repositories, the Deploy form, the deploy history and webhooks. */
import { ui } from "../../../server/sdk/index.ts";
import type { RepoInfo } from "../repos/discover.ts";
import type { DeployRun } from "../run/store.ts";
import type { Hook } from "../webhooks/store.ts";
import { Credentials } from "./credentials-card.tsx";
import type { Credential } from "../credentials/store.ts";

const short = (c: string | null) => (c ? c.slice(0, 12) : "—");

export interface CodePageProps {
  base: string;
  instanceName: string;
  repos: Array<RepoInfo & { refs: { branches: string[]; tags: string[] } }>;
  runs: DeployRun[];
  hooks: Hook[];
  credentials: Credential[];
  canDeploy: boolean;
  /** Shown once, right after a hook was made. */
  newHookUrl?: string | null;
}

function Repos({ repos }: Pick<CodePageProps, "repos">) {
  if (!repos.length)
    return (
      <ui.Empty title="No git repository">
        No addons_path entry of this instance is in a git work tree.
      </ui.Empty>
    );
  return (
    <table class="table" id="repos">
      <thead>
        <tr>
          <th>Repository</th>
          <th>Branch</th>
          <th>Commit</th>
          <th>State</th>
          <th>Remote</th>
        </tr>
      </thead>
      <tbody>
        {repos.map((r) => (
          <tr data-repo={r.path}>
            <td>
              <code>{r.path}</code>
            </td>
            <td>{r.branch ?? <ui.Badge kind="muted">detached</ui.Badge>}</td>
            <td>
              <code class="commit">{short(r.commit)}</code> {r.subject}
            </td>
            <td>
              {r.dirty.length ? (
                <ui.Badge kind="warn">dirty: {r.dirty.length} changed by hand</ui.Badge>
              ) : (
                <ui.Badge kind="ok">clean</ui.Badge>
              )}
            </td>
            <td>{r.remote ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DeployForm({ base, repos }: Pick<CodePageProps, "base" | "repos">) {
  if (!repos.length) return null;
  return (
    <ui.Form action={`${base}/deploy`} id="deploy-form">
      <ui.Select label="Repository" name="repo" options={repos.map((r) => r.path)} />
      <label class="field">
        <span>Branch, tag or commit</span>
        <input name="ref" list="deploy-refs" required value={repos[0].branch ?? ""} />
        <datalist id="deploy-refs">
          {repos
            .flatMap((r) => [...r.refs.branches, ...r.refs.tags])
            .map((ref) => (
              <option value={ref} />
            ))}
        </datalist>
      </label>
      <ui.Select
        label="Back up first"
        name="backup"
        options={[
          { value: "auto", label: "when modules are installed or upgraded" },
          { value: "yes", label: "always" },
          { value: "no", label: "no" },
        ]}
      />
      <button type="submit">Deploy</button>
    </ui.Form>
  );
}

function Classification({ run }: { run: DeployRun }) {
  const c = run.classification;
  if (!c) return <span>—</span>;
  const parts = [
    c.install.length ? `install ${c.install.join(", ")}` : "",
    c.upgrade.length ? `upgrade ${c.upgrade.join(", ")}` : "",
    !c.install.length && !c.upgrade.length && c.restart ? "restart" : "",
    c.cacheBust ? "cache bust" : "",
  ].filter(Boolean);
  return (
    <span class="classification" data-action={c.action}>
      {parts.join("; ") || "nothing to do"}
    </span>
  );
}

function History({
  base,
  runs,
  instanceName,
  canDeploy,
}: Pick<CodePageProps, "base" | "runs" | "instanceName" | "canDeploy">) {
  if (!runs.length)
    return (
      <ui.Empty title="No deploy yet">
        Deploys made here or by a webhook are listed with what they did.
      </ui.Empty>
    );
  return (
    <table class="table" id="deploys">
      <thead>
        <tr>
          <th>#</th>
          <th>When</th>
          <th>Ref</th>
          <th>Commits</th>
          <th>Classification</th>
          <th>Backup</th>
          <th>Result</th>
          <th>By</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr data-run={r.id} data-status={r.status}>
            <td>{r.id}</td>
            <td>
              <ui.Time at={r.startedAt} />
            </td>
            <td>{r.trigger === "rollback" ? `rollback of #${r.rollbackOf}` : r.ref}</td>
            <td>
              <code>{short(r.fromCommit)}</code> → <code>{short(r.toCommit)}</code>
            </td>
            <td>
              <Classification run={r} />
            </td>
            <td>{r.backupName ? <a href={`/operations/${r.operationId}`}>{r.backupName}</a> : "—"}</td>
            <td>
              <ui.StatusBadge status={r.status} />
              {r.rolledBack ? (
                <>
                  {" "}
                  <ui.Badge kind="warn">rolled back</ui.Badge>
                </>
              ) : null}
              {r.error ? <small class="error"> {r.error}</small> : null}{" "}
              {r.operationId ? <a href={`/operations/${r.operationId}`}>log</a> : null}
            </td>
            <td>{r.actor}</td>
            <td>
              {canDeploy &&
              r.classification &&
              !r.rolledBack &&
              r.trigger !== "rollback" &&
              r.status !== "running" ? (
                <ui.Form action={`${base}/runs/${r.id}/rollback`}>
                  <input name="confirm" placeholder={`type ${instanceName}`} required />
                  <button type="submit">Roll back</button>
                </ui.Form>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Hooks({
  base,
  hooks,
  repos,
  canDeploy,
  newHookUrl,
}: Pick<CodePageProps, "base" | "hooks" | "repos" | "canDeploy" | "newHookUrl">) {
  return (
    <>
      {newHookUrl ? (
        <ui.Flash
          kind="ok"
          message={`Webhook URL (shown once): ${newHookUrl}`}
          hint="Paste it with the same secret in GitHub, GitLab or Gitea (push events)"
        />
      ) : null}
      <ul id="hooks">
        {hooks.map((h) => (
          <li data-hook={h.id}>
            #{h.id}: pushes to <strong>{h.branch}</strong> of <code>{h.repo}</code> deploy (by {h.createdBy},{" "}
            <ui.Time at={h.createdAt} />
            ); secret stored encrypted
            {canDeploy ? (
              <ui.Form action={`${base}/hooks/${h.id}/delete`} class="inline">
                <button type="submit" class="danger">
                  Delete
                </button>
              </ui.Form>
            ) : null}
          </li>
        ))}
      </ul>
      {canDeploy && repos.length ? (
        <ui.Form action={`${base}/hooks`}>
          <ui.Select label="Repository" name="repo" options={repos.map((r) => r.path)} />
          <ui.Field label="Branch" name="branch" required value={repos[0].branch ?? "main"} />
          <ui.Field
            label="Secret (as set on the git host)"
            name="secret"
            type="password"
            required
            autocomplete="off"
          />
          <button type="submit">Add webhook</button>
        </ui.Form>
      ) : null}
    </>
  );
}

export function CodePage(p: CodePageProps) {
  return (
    <>
      <ui.Card title="Repositories">
        <Repos repos={p.repos} />
      </ui.Card>
      {p.canDeploy ? (
        <ui.Card title="Deploy">
          <DeployForm base={p.base} repos={p.repos} />
        </ui.Card>
      ) : null}
      <ui.Card title="Deploys">
        <History base={p.base} runs={p.runs} instanceName={p.instanceName} canDeploy={p.canDeploy} />
      </ui.Card>
      <ui.Card title="Deploy keys and tokens">
        <Credentials base={p.base} repos={p.repos} credentials={p.credentials} canDeploy={p.canDeploy} />
      </ui.Card>
      <ui.Card title="Webhooks">
        <Hooks {...p} />
      </ui.Card>
    </>
  );
}
