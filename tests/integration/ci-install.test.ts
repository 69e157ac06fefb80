import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const INSTALL = resolve(import.meta.dir, "../../.ci/install");
const made: string[] = [];
let repo: string;
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const sh = async (cmd: string[], cwd: string) => {
  const p = Bun.spawn(cmd, {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, npm_config_offline: "true" },
  });
  const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
  return { code: await p.exited, out, err };
};

/** A git checkout of a package with no dependencies, its lock in sync, committed. */
beforeEach(async () => {
  repo = mkdtempSync(join(tmpdir(), "odoodeck-test-ci-"));
  made.push(repo);
  const pkg = { name: "ci-probe", version: "1.0.0", private: true, scripts: {} as Record<string, string> };
  writeFileSync(join(repo, "package.json"), JSON.stringify(pkg, null, 2));
  writeFileSync(
    join(repo, "package-lock.json"),
    JSON.stringify(
      { name: "ci-probe", version: "1.0.0", lockfileVersion: 3, requires: true, packages: { "": pkg } },
      null,
      2,
    ),
  );
  writeFileSync(join(repo, ".gitignore"), "node_modules/\n");
  for (const c of [
    ["git", "init", "-q"],
    ["git", "add", "."],
    ["git", "-c", "user.email=ci@example.invalid", "-c", "user.name=ci", "commit", "-qm", "probe"],
  ])
    expect((await sh(c, repo)).code).toBe(0);
});

describe(".ci/install installs the lock file or fails", () => {
  test("a lock in sync installs and leaves the checkout clean", async () => {
    const r = await sh([INSTALL, repo], repo);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: "" });
  });

  test("a dependency missing from the lock fails instead of falling back to npm install", async () => {
    const pkg = JSON.parse(await Bun.file(join(repo, "package.json")).text());
    pkg.dependencies = { "left-pad": "1.3.0" };
    writeFileSync(join(repo, "package.json"), JSON.stringify(pkg, null, 2));
    await sh(["git", "commit", "-qam", "add a dependency, forget the lock"], repo);
    const r = await sh([INSTALL, repo], repo);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("npm ci failed: is package-lock.json in sync with package.json?");
    expect(await Bun.file(join(repo, "package-lock.json")).text()).not.toContain("left-pad"); // lock untouched
  });

  test("an install that changes the checkout fails and names the files", async () => {
    const pkg = JSON.parse(await Bun.file(join(repo, "package.json")).text());
    pkg.scripts = { postinstall: "echo generated > generated.txt" };
    writeFileSync(join(repo, "package.json"), JSON.stringify(pkg, null, 2));
    await sh(["git", "commit", "-qam", "a postinstall that writes into the tree"], repo);
    const r = await sh([INSTALL, repo], repo);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("installing changed the checkout");
    expect(r.err).toContain("?? generated.txt");
  });
});
