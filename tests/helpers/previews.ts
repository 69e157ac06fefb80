/**
 * A running odoodeck with the previews plugin, an instance of acme_prod, a git repository of
 * addons with a `feature` branch and a ready template "acme": what preview tests start from.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { builtinPlugins } from "../../plugins/index.ts";
import type { PreviewsService } from "../../plugins/previews/service.ts";
import { previewSettings } from "../../plugins/previews/settings.ts";
import { sparesSettled, spareDb } from "../../plugins/previews/build/spare.ts";
import { writeSettings } from "../../server/plugin-host/settings.ts";
import { acmeOnDisk } from "../integration/backup-helpers.ts";
import { startTestApp, type TestApp } from "./app.ts";
import { getPg } from "./pg.ts";
import { STAND_IN_ODOO } from "./runtime.ts";

export const PREVIEW_DOMAIN = "preview.test";

/** `git -C repo …` with an identity, failing loudly. */
export function gitIn(repo: string, ...args: string[]): string {
  const r = Bun.spawnSync(["git", "-C", repo, ...args], {
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@x",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@x",
    },
  });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
  return r.stdout.toString().trim();
}

/** An addons repository with one module on `main` and a `feature` branch. */
export function addonsRepo(dir: string): string {
  const repo = join(dir, "addons");
  mkdirSync(join(repo, "preview_mod"), { recursive: true });
  writeFileSync(
    join(repo, "preview_mod", "__manifest__.py"),
    "{'name': 'Preview module', 'depends': ['base']}\n",
  );
  gitIn(repo, "init", "-q", "-b", "main");
  gitIn(repo, "add", ".");
  gitIn(repo, "commit", "-qm", "first");
  gitIn(repo, "branch", "feature");
  return repo;
}

/** Settings for tests: the stand-in odoo-bin, folders under `dir`, no free-space floor. */
export function previewTestSettings(t: TestApp, dir: string, values: Record<string, unknown> = {}) {
  return writeSettings(t.core.db, t.core.secrets, "previews", previewSettings, {
    preview_domain: PREVIEW_DOMAIN,
    work_root: join(dir, "previews"),
    odoo_bin: STAND_IN_ODOO,
    min_free_disk_mb: 0,
    min_free_memory_mb: 0,
    smoke_password: "admin",
    warm_spare: true,
    ...values,
  });
}

/**
 * The app, the acme instance and the ready template "acme" made from it. `before` runs once the
 * instance exists, before the template is made (a benchmark grows the database there).
 */
export async function previewsWithTemplate(
  dir: string,
  opts: { before?: (acme: Awaited<ReturnType<typeof acmeOnDisk>>) => Promise<void> } = {},
) {
  const t = await startTestApp({ plugins: builtinPlugins });
  await previewTestSettings(t, dir);
  const acme = await acmeOnDisk(dir, "acme");
  const instanceId = await t.addLocalInstance({ name: "acme", confPath: acme.confPath, dbName: acme.db });
  await opts.before?.(acme);
  const repo = addonsRepo(dir);
  const svc = t.core.services.get("previews") as PreviewsService;
  const op = svc.refreshTemplate(await t.core.registry.get(instanceId), { name: "acme", repo }, "admin");
  const snap = await op.done;
  if (snap.status !== "ok") throw new Error(JSON.stringify(snap.error ?? snap.steps));
  return { t, svc, repo, instanceId, acme };
}

/** Destroys every preview and drops the template database (it refuses drops while a template). */
export async function dropPreviews(svc: PreviewsService): Promise<void> {
  for (const p of await svc.store.list()) await svc.destroy(p.name).catch(() => {});
  await sparesSettled();
  const pg = await getPg();
  await pg.dropDb(spareDb("acme_tpl")).catch(() => {});
  await pg.psql("postgres", "ALTER DATABASE acme_tpl IS_TEMPLATE false").catch(() => {});
  await pg.dropDb("acme_tpl").catch(() => {});
}

/** Polls the previews page until `pick` finds what it waits for in the HTML (true: the HTML). */
export async function previewsPageUntil(
  t: TestApp,
  pick: (html: string) => string | boolean | null | undefined,
  tries = 150,
): Promise<string> {
  let html = "";
  for (let i = 0; i < tries; i++) {
    html = (await t.admin.page("/p/previews")).html;
    const found = pick(html);
    if (found) return found === true ? html : found;
    await Bun.sleep(200);
  }
  throw new Error(`not found on the previews page:\n${html.slice(0, 4000)}`);
}
