/**
 * A deploy, as one locking operation: fetch → classify → backup (tied to the commit) → checkout →
 * stop Odoo (crons stop with it) → odoo-bin -i/-u → restart → smoke. When anything after the
 * checkout fails, the rollback step puts back the old commit and the backup, and restarts.
 */
import { AppError, type InstanceHandle, smokeCheck, toAppError } from "../../../server/sdk/index.ts";
import { type Classification, classifyChange } from "../classify/classify.ts";
import { discoverRepos, type RepoInfo } from "../repos/discover.ts";
import { CredentialStore } from "../credentials/store.ts";
import { withGitAuth } from "../credentials/git-auth.ts";
import { checkRef, git } from "../repos/git.ts";
import { refuseUnpushed } from "../repos/unpushed.ts";
import type { DeployCtx } from "../settings.ts";
import type { BackupApi } from "./backup-api.ts";
import { odooCommand, runOdooUpdate } from "./odoo-update.ts";
import { restoreCode, type Taken } from "./rollback.ts";
import { DeployStore } from "./store.ts";

export const DEPLOY_STEPS = [
  "fetch",
  "classify",
  "backup",
  "checkout",
  "stop",
  "odoo",
  "restart",
  "smoke",
  "rollback",
];

export interface DeployRequest {
  /** The repository's path on the server; may be left out when the instance has one. */
  repo?: string;
  /** Branch, tag or commit. */
  ref: string;
  /** Back up first: true/false, or undefined for the setting's default. */
  backup?: boolean;
  trigger: "user" | "webhook";
  actor: string;
}

export interface DeployResult {
  runId: number;
  from: string;
  to: string;
  classification: Classification;
  backup: string | null;
  smoke: { readyMs: number | null } | null;
}

/** The repository a request names, among those the instance's addons path leads to. */
export async function pickRepo(inst: InstanceHandle, path?: string): Promise<RepoInfo> {
  const repos = await discoverRepos(inst);
  const pick = path
    ? repos.find((r) => r.path === path.replace(/\/+$/, ""))
    : repos.length === 1
      ? repos[0]
      : null;
  if (pick) return pick;
  throw new AppError(
    path ? "E_NOT_FOUND" : "E_VALIDATION",
    path
      ? `${path} is not a git repository of ${inst.name}'s addons path`
      : `Say which repository to deploy (${repos.length} found)`,
    {
      hint: repos.length
        ? `One of: ${repos.map((r) => r.path).join(", ")}`
        : "No addons_path entry of this instance is in a git work tree",
    },
  );
}

/** The commit a ref names after the fetch: origin's branch first (what was pushed), then any ref. */
async function resolveTarget(
  g: ReturnType<typeof git>,
  ref: string,
): Promise<{ commit: string; branch: string | null }> {
  const remote = (
    await g.try(["rev-parse", "--verify", "-q", `refs/remotes/origin/${ref}^{commit}`])
  )?.trim();
  if (remote) return { commit: remote, branch: ref };
  const local = (await g.try(["rev-parse", "--verify", "-q", `refs/heads/${ref}^{commit}`]))?.trim();
  if (local) return { commit: local, branch: ref };
  const any = (await g.try(["rev-parse", "--verify", "-q", `${ref}^{commit}`]))?.trim();
  if (any) return { commit: any, branch: null };
  throw new AppError("E_NOT_FOUND", `"${ref}" is no branch, tag or commit of the repository`, {
    hint: "Push it first, or pick one from the list",
  });
}

export async function startDeploy(ctx: DeployCtx, inst: InstanceHandle, req: DeployRequest) {
  checkRef(req.ref);
  const repo = await pickRepo(inst, req.repo);
  if (repo.dirty.length)
    throw new AppError(
      "E_CONFLICT",
      `${repo.path} has changes made by hand: ${repo.dirty.slice(0, 5).join(", ")}`,
      {
        hint: "Commit or discard them on the server first; a deploy never overwrites them",
      },
    );
  if (repo.remote) await refuseUnpushed(git(await inst.connection(), repo.path), repo.path, req.ref);
  const settings = await ctx.settings();
  const api = ctx.services.get<BackupApi>("backup.api");
  if (req.backup === true && !api)
    throw new AppError("E_BACKUP_UNAVAILABLE", "The backup plugin is not enabled", {
      hint: "Enable it, or deploy without a backup",
    });
  const store = new DeployStore(ctx.db);
  // The history row first, so the page lists the deploy from its very start.
  const runId = await store.create({
    instanceId: inst.id,
    repo: repo.path,
    ref: req.ref,
    fromCommit: repo.commit,
    fromBranch: repo.branch,
    operationId: "",
    trigger: req.trigger,
    actor: req.actor,
    rollbackOf: null,
  });
  const op = ctx.operations.start<DeployResult>({
    kind: "deploy",
    title: `Deploy ${req.ref} to ${inst.name}`,
    instanceId: inst.id,
    actor: req.actor,
    lock: true,
    steps: DEPLOY_STEPS,
    run: async (o) => {
      const conn = await inst.connection();
      const g = git(conn, repo.path);
      const taken: Taken = {
        repo: repo.path,
        commit: repo.commit,
        branch: repo.branch,
        checkedOut: false,
        backupId: null,
        dataTouched: false,
      };
      try {
        const target = await o.step("fetch", async (s) => {
          if (repo.remote) {
            const creds = new CredentialStore(ctx.db, ctx.secrets);
            const cred = await creds.unsealed(inst.id, repo.path);
            if (cred)
              s.log(`fetching with the repository's ${cred.kind === "ssh-key" ? "deploy key" : "token"}`);
            await withGitAuth(
              conn,
              cred,
              (auth) => g.run(["fetch", "--prune", "--tags", "origin"], { signal: s.signal, env: auth.env }),
              async (hosts) => {
                await creds.pinHosts(cred!.id, hosts);
                s.log("the git host's key is now pinned for later fetches");
              },
            );
          } else s.log("no remote named origin: deploying from the repository's own refs");
          const t = await resolveTarget(g, req.ref);
          s.log(`${req.ref} is ${t.commit}`);
          return t;
        });
        await store.update(runId, { toCommit: target.commit });
        const c = await o.step("classify", async (s) => {
          const out = await classifyChange(conn, repo.path, repo.commit, target.commit, repo.addonsDirs);
          s.log(
            `${out.action}: install ${out.install.join(",") || "-"}, upgrade ${out.upgrade.join(",") || "-"}`,
          );
          return out;
        });
        await store.update(runId, { classification: c });
        const wantBackup =
          req.backup ??
          (settings.backupFirst === "always" || (settings.backupFirst === "data-changes" && changesData(c)));
        if (wantBackup && api) {
          const b = await o.step("backup", async (s) => {
            const started = await api.create(inst.id, {
              scope: "full",
              format: "native",
              actor: req.actor,
              parentId: o.id,
            });
            s.log(`backing up to ${started.name} before ${target.commit.slice(0, 12)}`);
            await store.update(runId, { backupId: started.backupId, backupName: started.name });
            const out = await started.done;
            if (out.status !== "ok")
              throw new AppError(
                "E_BACKUP_UNAVAILABLE",
                `The backup before the deploy ${out.status}: ${out.error ?? ""}`,
                {
                  hint: "Nothing was changed; fix the backup and deploy again",
                },
              );
            return { backupId: out.backupId, name: out.name };
          });
          taken.backupId = b.backupId;
        }
        await o.step("checkout", async (s) => {
          taken.checkedOut = true;
          if (target.branch) {
            await g.run(["checkout", "-q", "-B", target.branch, target.commit]);
          } else await g.run(["checkout", "-q", "--detach", target.commit]);
          s.log(`${repo.path} now at ${target.commit}`);
        });
        if (c.action === "none") return done(c, null, null);
        const rt = await ctx.runtimes.for(inst);
        const { settings: odooSettings } = await inst.odoo();
        if (c.install.length || c.upgrade.length) {
          await o.step("stop", async (s) => {
            ctx.runtimes.mark(inst.id, "upgrading", `deploy ${target.commit.slice(0, 12)}`);
            await rt.stop();
            s.log(`${rt.label} stopped (no cron runs during the upgrade)`);
          });
          await o.step("odoo", async (s) => {
            taken.dataTouched = true;
            const argv = await odooCommand(conn, inst, odooSettings.addonsPaths, settings.odooBin, c);
            await runOdooUpdate(conn, argv, s);
          });
        }
        const restartedAt = Date.now();
        await o.step("restart", async () => {
          await rt.restart();
        });
        ctx.runtimes.mark(inst.id, null);
        const smoke = await o.step("smoke", (s) =>
          smokeCheck(s, inst, rt, {
            since: restartedAt,
            waitMs: settings.readyTimeoutS * 1000,
            onFailure: "the deploy is rolled back",
          }),
        );
        return done(c, taken.backupId, smoke);
      } catch (e) {
        const err = toAppError(e);
        if (taken.checkedOut && err.code !== "E_CANCELLED") {
          await o
            .step("rollback", (s) => restoreCode(ctx, inst, taken, { actor: req.actor, parentId: o.id, s }))
            .catch(() => {});
          await store.update(runId, { rolledBack: true });
        }
        ctx.runtimes.mark(inst.id, null);
        await store.update(runId, { status: "failed", error: `${err.code}: ${err.message}` });
        throw err;
      }

      async function done(
        c: Classification,
        backupId: number | null,
        smoke: { readyMs: number | null } | null,
      ) {
        await store.update(runId, { status: "ok" });
        return {
          runId,
          from: repo.commit,
          to: c.to,
          classification: c,
          backup: backupId ? String(backupId) : null,
          smoke,
        };
      }
    },
  });
  await store.update(runId, { operationId: op.id });
  try {
    await op.started;
  } catch (e) {
    await store.update(runId, { status: "failed", error: `${toAppError(e).code}: ${toAppError(e).message}` });
    throw e;
  }
  return { operationId: op.id, done: op.done, runId };
}

/** Whether the database changes (modules installed or upgraded). */
export function changesData(c: Classification): boolean {
  return c.install.length > 0 || c.upgrade.length > 0;
}
