/**
 * Creating (and resetting) a preview as an operation with named steps. A failure keeps the
 * forensics: the failing step, the init log and the database stay until the user destroys the
 * preview (runboat's users could not diagnose failed builds: their log was gone).
 */
import { odoo, toAppError } from "../../../server/sdk/index.ts";
import { branchModules, checkoutBranch } from "./checkout.ts";
import { linkTree } from "./filestore.ts";
import { ownMailbox } from "./mailbox.ts";
import { cloneTemplate, dropDatabase } from "./pg-tools.ts";
import { logSince, paths, startWithInit } from "./runner.ts";
import type { PreviewsCtx, PreviewSettings } from "../settings.ts";
import type { Side } from "./side.ts";
import { smokeGate } from "./smoke.ts";
import { claimSpare, cloneStrategy, refillSpare } from "./spare.ts";
import type { PreviewRecord, PreviewStore, TemplateRecord } from "../store.ts";
import type { PreviewRuntime } from "./runner.ts";
import type { PreviewTunnels } from "../serve/tunnels.ts";

export const CREATE_STEPS = ["template", "database", "filestore", "checkout", "install", "start", "smoke"];

export interface CreateDeps {
  ctx: PreviewsCtx;
  store: PreviewStore;
  runtimes: Map<string, PreviewRuntime>;
  tunnels: PreviewTunnels;
  /** Where odoodeck reaches the preview's Odoo (a tunnel over SSH), opened if needed. */
  upstream(p: PreviewRecord, rt: PreviewRuntime): Promise<string>;
  /** Called once a preview is about to run: stops the least recently used over max_running. */
  makeRoom(except: string): Promise<void>;
}

type Op = Parameters<Parameters<PreviewsCtx["operations"]["start"]>[0]["run"]>[0];

/** Modules of the branch already installed in the database (to upgrade rather than install). */
async function installedOf(db: odoo.OdooDb, mods: string[]): Promise<string[]> {
  if (!mods.length) return [];
  const rows = await db.query<{ name: string }>(
    `SELECT name FROM ir_module_module WHERE state = 'installed' AND name = ANY(string_to_array(:'m', ','))`,
    { m: mods.join(",") },
  );
  return rows.map((r) => r.name);
}

/**
 * The steps after the database and filestore exist: install (Odoo's first start, with -i/-u, up
 * to its registry loaded), start (it answers), smoke. Odoo boots once.
 */
export async function startAndSmoke(
  d: CreateDeps,
  o: Op,
  side: Side,
  p: PreviewRecord,
  settings: PreviewSettings,
  changed: Record<string, string>,
): Promise<void> {
  const db = side.db.withDatabase(p.dbName);
  const names = Object.keys(changed);
  const installed = await installedOf(db, names);
  const init = await o.step("install", async (s) => {
    await d.makeRoom(p.name);
    await d.runtimes.get(p.name)?.stop();
    const install = names.filter((m) => !installed.includes(m));
    const r = await startWithInit(d.ctx, side, p, install, installed, s);
    // Set before a failure too: recordFailure stops it (the database and init.log stay).
    d.runtimes.set(p.name, r.rt);
    if (!r.ok)
      throw new Error(
        names.length
          ? `Installing ${names.join(", ")} failed: ${r.reason}`
          : `Odoo failed to start: ${r.reason}`,
      );
    return { modules: names, installed: install, upgraded: installed, log: r.log, logOffset: r.logOffset };
  });
  await o.step("start", async (s) => {
    const rt = d.runtimes.get(p.name)!;
    const ready = await rt.waitReady({ timeoutMs: 300_000, signal: s.signal });
    const port = Number(new URL(rt.baseUrl!).port);
    await d.store.update(p.name, { port });
    // Ready was asked on the server itself; odoodeck's own requests go through the tunnel.
    const via = await d.upstream(p, rt);
    return { port, readyMs: ready.readyMs, ...(via === rt.baseUrl ? {} : { tunnel: via }) };
  });
  await o.step("smoke", async () => {
    const rt = d.runtimes.get(p.name)!;
    const result = await smokeGate({
      conn: side.conn,
      baseUrl: rt.baseUrl!,
      url: await d.upstream(p, rt),
      db,
      login: settings.smoke_login,
      password: settings.smoke_password,
      // This start's whole log, its init part included (not earlier runs' lines).
      log: await logSince(side, paths(p.workDir).log, init.logOffset),
      modules: Object.keys((await d.store.get(p.name))?.modules ?? changed),
    });
    await d.store.update(p.name, { smoke: result });
    if (!result.ok)
      throw new Error(
        `Smoke gate failed: ${result.checks
          .filter((c) => !c.ok)
          .map((c) => c.detail)
          .join("; ")}`,
      );
    return result;
  });
}

export async function runCreate(
  d: CreateDeps,
  o: Op,
  side: Side,
  p: PreviewRecord,
  tpl: TemplateRecord,
  opts: { reset?: boolean } = {},
) {
  const settings = await d.ctx.settings();
  const at = paths(p.workDir);
  try {
    await o.step("template", async () => ({
      template: tpl.name,
      db: tpl.dbName,
      refreshedAt: tpl.refreshedAt,
    }));
    const seconds = await o.step("database", async () => {
      if (opts.reset) await dropDatabase(side.admin, p.dbName);
      const t0 = performance.now();
      const spare = settings.warm_spare && (await claimSpare(side.admin, tpl, p.dbName));
      const method = spare ? "warm spare" : await cloneStrategy(side.admin, tpl.dbName);
      if (!spare) await cloneTemplate(side.admin, tpl.dbName, p.dbName, method as "FILE_COPY" | "WAL_LOG");
      const seconds = (performance.now() - t0) / 1000;
      // The next preview's spare is made while this one is being built.
      if (settings.warm_spare)
        void refillSpare(side.admin, tpl, (e) =>
          d.ctx.log.warn(`Warm spare of template ${tpl.name} failed: ${e.message}`),
        );
      // the clone still sends with the template's mailbox login: it gets its own
      return { seconds, method, mailbox: await ownMailbox(d.ctx, side, p) };
    });
    await o.step("filestore", async () => {
      const to = `${at.data}/filestore/${p.dbName}`;
      if (opts.reset) await side.conn.remove(to, { recursive: true }).catch(() => {});
      const method = await linkTree(side.conn, tpl.filestore, to);
      // As root, the data_dir (filestore, sessions) goes to the instance's Odoo service user.
      const owner = await odoo.serviceOwner(side.conn, side.settings.dataDir);
      await odoo.chownTree(side.conn, at.data, owner);
      return { method, owner: owner ? `${owner.uid}:${owner.gid}` : "unchanged" };
    });
    const mods = await o.step("checkout", async () => {
      if (!opts.reset) {
        const sha = await checkoutBranch(side.conn, tpl.repo ?? p.repo, p.branch, at.src);
        await d.store.update(p.name, { commitSha: sha });
      }
      return branchModules(side.conn, at.src);
    });
    await d.store.update(p.name, { modules: mods });
    await startAndSmoke(d, o, side, p, settings, mods);
    await d.store.update(p.name, { status: "running", failedStep: null, error: null, lastUsedAt: now() });
    return { preview: p.name, databaseSeconds: seconds.seconds };
  } catch (e) {
    await recordFailure(d, o, p, e);
    throw e;
  }
}

export const now = () => new Date().toISOString();

/** Keeps what a user needs to diagnose: the step, the message; the database is not dropped. */
export async function recordFailure(d: CreateDeps, o: Op, p: PreviewRecord, e: unknown): Promise<void> {
  const snap = d.ctx.operations.get(o.id);
  const step = snap?.steps.find((s) => s.status === "error")?.name ?? snap?.currentStep ?? null;
  await d.runtimes
    .get(p.name)
    ?.stop()
    .catch(() => {});
  await d.tunnels.close(p.name).catch(() => {});
  await d.store.update(p.name, { status: "failed", failedStep: step, error: toAppError(e).message });
}
