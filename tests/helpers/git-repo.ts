/**
 * Real git repositories for the deploy tests: an "upstream" (what developers push to, bare) and
 * the instance's clone of it (its addons path), with commits written file by file.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "Dev",
  GIT_AUTHOR_EMAIL: "dev@acme.example",
  GIT_COMMITTER_NAME: "Dev",
  GIT_COMMITTER_EMAIL: "dev@acme.example",
  GIT_CONFIG_NOSYSTEM: "1",
  HOME: "/nonexistent",
};

export function gitIn(dir: string, ...args: string[]): string {
  const r = Bun.spawnSync(["git", "-C", dir, ...args], { env: ENV });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

export interface WorkRepo {
  dir: string;
  /** Writes files (null deletes), commits them, returns the new commit. */
  commit(message: string, files: Record<string, string | null>): string;
  head(): string;
}

/** A repository with a first commit holding `files`, on branch main. */
export function makeRepo(dir: string, files: Record<string, string | null>): WorkRepo {
  mkdirSync(dir, { recursive: true });
  gitIn(dir, "init", "-q", "-b", "main");
  const repo: WorkRepo = {
    dir,
    commit(message, changes) {
      for (const [rel, text] of Object.entries(changes)) {
        const p = join(dir, rel);
        if (text === null) rmSync(p, { force: true });
        else {
          mkdirSync(dirname(p), { recursive: true });
          writeFileSync(p, text);
        }
      }
      gitIn(dir, "add", "-A");
      gitIn(dir, "commit", "-q", "--allow-empty", "-m", message);
      return repo.head();
    },
    head: () => gitIn(dir, "rev-parse", "HEAD"),
  };
  repo.commit("first", files);
  return repo;
}

/** Developers' repo `dev` pushed to a bare `upstream`, and the server's clone of it at `server`. */
export function makeUpstream(root: string, files: Record<string, string | null>) {
  const dev = makeRepo(join(root, "dev"), files);
  const upstream = join(root, "upstream.git");
  Bun.spawnSync(["git", "clone", "-q", "--bare", dev.dir, upstream], { env: ENV });
  gitIn(dev.dir, "remote", "add", "origin", upstream);
  gitIn(dev.dir, "push", "-q", "origin", "main");
  const server = join(root, "server");
  const r = Bun.spawnSync(["git", "clone", "-q", upstream, server], { env: ENV });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  const push = (branch = "main") => gitIn(dev.dir, "push", "-q", "origin", `HEAD:${branch}`);
  return { dev, upstream, server, push };
}

/** A module's manifest as Odoo reads it. */
export const manifest = (name: string, version: string, data: string[] = []) =>
  `{\n    'name': '${name}',\n    'version': '${version}',\n    'depends': ['base'],\n    'data': ${JSON.stringify(data)},\n}\n`;
