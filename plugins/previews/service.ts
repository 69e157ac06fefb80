/**
 * The previews service: what operations, pages, webhooks, the proxy and the TTL job share.
 */
import { AppError, type InstanceHandle } from "../../server/sdk/index.ts";
import { freeDiskMb, freeMemoryMb, toStop } from "./capacity.ts";
import { branchModules, removeCheckout, updateCheckout } from "./build/checkout.ts";
import {
  CREATE_STEPS,
  type CreateDeps,
  now,
  recordFailure,
  runCreate,
  startAndSmoke,
} from "./build/create.ts";
import { dropMailbox } from "./build/mailbox.ts";
import { checkName, previewDb } from "./names.ts";
import { dropDatabase } from "./build/pg-tools.ts";
import { paths, type PreviewRuntime, previewRuntime } from "./build/runner.ts";
import type { PreviewsCtx } from "./settings.ts";
import { instanceSide } from "./build/side.ts";
import { type PreviewRecord, PreviewStore } from "./store.ts";
import { readyTemplate, startTemplateRefresh } from "./build/template.ts";
import { previewTls } from "./serve/tls.ts";
import { PreviewTunnels } from "./serve/tunnels.ts";

export type PreviewsService = ReturnType<typeof createPreviewsService>;

export function createPreviewsService(ctx: PreviewsCtx) {
  const store = new PreviewStore(ctx.db);
  const runtimes = new Map<string, PreviewRuntime>();
  const tunnels = new PreviewTunnels();
  const waking = new Map<string, Promise<unknown>>();
  // 507: the server has no room now; the user frees some (or changes the limits) and tries again.
  const capacity = ctx.errors.define("E_PREVIEWS_CAPACITY", {
    status: 507,
    message: "No room for a preview",
  });
  const capacityError = (message: string, hint: string) => capacity(message, { hint });
  const tls = previewTls(ctx);

  async function get(name: string): Promise<PreviewRecord> {
    const p = await store.get(name);
    if (!p) throw new AppError("E_NOT_FOUND", `There is no preview ${name}`);
    return p;
  }

  /** Where odoodeck reaches a running preview's Odoo: through its tunnel (opened if needed). */
  async function upstream(
    p: Pick<PreviewRecord, "name" | "instanceId">,
    rt: PreviewRuntime,
  ): Promise<string> {
    if (!rt.baseUrl) throw new AppError("E_NOT_READY", `Preview ${p.name} was never started`);
    return tunnels.url(p.name, rt.baseUrl, async () => (await ctx.instances.get(p.instanceId)).connection());
  }

  async function stopPreview(p: PreviewRecord): Promise<void> {
    await runtimes.get(p.name)?.stop();
    runtimes.delete(p.name);
    await tunnels.close(p.name);
    if (p.status === "running") await store.update(p.name, { status: "stopped" });
  }

  const deps: CreateDeps = {
    ctx,
    store,
    runtimes,
    tunnels,
    upstream,
    async makeRoom(except) {
      const { max_running } = await ctx.settings();
      const running = (await store.list()).filter((p) => p.status === "running" && runtimes.has(p.name));
      for (const p of toStop(running, max_running, except)) {
        ctx.log.info(`Stopping preview ${p.name} (least recently used) to stay within ${max_running}`);
        await stopPreview(p);
      }
    },
  };

  /** Refuses (E_PREVIEWS_CAPACITY) when the server lacks the disk or memory kept free. */
  async function checkRoom(inst: InstanceHandle): Promise<void> {
    const s = await ctx.settings();
    const side = await instanceSide(inst, s);
    await side.conn.mkdir(side.workRoot, { recursive: true, mode: 0o700 });
    const disk = await freeDiskMb(side.conn, side.workRoot);
    if (disk !== null && disk < s.min_free_disk_mb)
      throw capacityError(
        `Only ${disk} MB free under ${side.workRoot} on ${inst.serverName}; ${s.min_free_disk_mb} MB are kept free`,
        "Destroy previews you no longer need, or lower “Free disk kept” in the previews settings",
      );
    const mem = await freeMemoryMb(side.conn);
    if (mem !== null && mem < s.min_free_memory_mb)
      throw capacityError(
        `Only ${mem} MB of memory available on ${inst.serverName}; ${s.min_free_memory_mb} MB are kept free`,
        "Stop or destroy running previews, or lower “Free memory kept”",
      );
  }

  return {
    store,
    runtimes,
    tunnels,
    upstream,
    get,
    tls,

    refreshTemplate(inst: InstanceHandle, input: { name: string; repo: string | null }, actor: string) {
      checkName(input.name, "template");
      return startTemplateRefresh(ctx, store, inst, input, actor);
    },

    async create(
      input: {
        name: string;
        template: string;
        branch: string;
        owner: string;
        source?: Record<string, unknown>;
      },
      actor: string,
    ) {
      checkName(input.name);
      const tpl = await readyTemplate(store, input.template);
      if (!tpl.repo) throw new AppError("E_VALIDATION", `Template ${tpl.name} has no addons repository set`);
      if (await store.get(input.name))
        throw new AppError("E_CONFLICT", `A preview named ${input.name} exists`, {
          hint: "Pick another name, or update or reset that one",
        });
      const inst = await ctx.instances.get(tpl.instanceId);
      await checkRoom(inst);
      const s = await ctx.settings();
      const side = await instanceSide(inst, s);
      const p = await store.insert({
        instanceId: inst.id,
        templateId: tpl.id,
        name: input.name,
        owner: input.owner,
        repo: tpl.repo,
        branch: input.branch,
        dbName: previewDb(input.name),
        workDir: `${side.workRoot}/${input.name}`,
        source: input.source ?? null,
        expiresAt: new Date(Date.now() + s.ttl_hours * 3600_000).toISOString(),
        lastUsedAt: now(),
      });
      const op = ctx.operations.start({
        kind: "previews.create",
        title: `Preview ${p.name} (${p.branch})`,
        instanceId: inst.id,
        actor,
        steps: CREATE_STEPS,
        run: (o) => runCreate(deps, o, side, p, tpl),
      });
      await store.update(p.name, { operationId: op.id });
      // Its certificate comes while it is built; a failure only keeps it on plain HTTP.
      void tls.ensure(p.name);
      return { operationId: op.id, done: op.done, preview: p.name };
    },

    /** Back to the template's data: new database and filestore, the same checkout. */
    async reset(name: string, actor: string) {
      const p = await get(name);
      const tpl = await readyTemplate(store, (await store.templateById(p.templateId))?.name ?? "");
      const inst = await ctx.instances.get(p.instanceId);
      const side = await instanceSide(inst, await ctx.settings());
      await stopPreview(p);
      await store.update(p.name, { status: "creating", smoke: null });
      const op = ctx.operations.start({
        kind: "previews.reset",
        title: `Reset preview ${p.name}`,
        instanceId: inst.id,
        actor,
        steps: CREATE_STEPS,
        run: (o) => runCreate(deps, o, side, p, tpl, { reset: true }),
      });
      await store.update(p.name, { operationId: op.id });
      return { operationId: op.id, done: op.done };
    },

    /** The branch's newest commit; only modules whose content changed are upgraded. */
    async update(name: string, actor: string) {
      const p = await get(name);
      const inst = await ctx.instances.get(p.instanceId);
      const s = await ctx.settings();
      const side = await instanceSide(inst, s);
      const op = ctx.operations.start({
        kind: "previews.update",
        title: `Update preview ${p.name}`,
        instanceId: inst.id,
        actor,
        steps: ["checkout", "install", "start", "smoke"],
        run: async (o) => {
          try {
            const { sha, changed, all } = await o.step("checkout", async () => {
              const sha = await updateCheckout(side.conn, p.repo, p.branch, paths(p.workDir).src);
              const all = await branchModules(side.conn, paths(p.workDir).src);
              const changed = Object.fromEntries(
                Object.entries(all).filter(([m, h]) => p.modules?.[m] !== h),
              );
              return { sha, changed, all };
            });
            await store.update(p.name, { commitSha: sha, modules: all });
            await stopPreview(p);
            await startAndSmoke(deps, o, side, p, s, changed);
            await store.update(p.name, {
              status: "running",
              failedStep: null,
              error: null,
              lastUsedAt: now(),
            });
            return { commit: sha, upgraded: Object.keys(changed) };
          } catch (e) {
            await recordFailure(deps, o, p, e);
            throw e;
          }
        },
      });
      return { operationId: op.id, done: op.done };
    },

    /** Promote to staging: it stays (no expiry) and is never stopped to make room. */
    async promote(name: string) {
      await get(name);
      await store.update(name, { promoted: true, expiresAt: "9999-12-31T00:00:00.000Z" });
      return get(name);
    },

    /** Starts a stopped preview; one start at a time per preview, shared by concurrent callers. */
    wake(name: string): Promise<unknown> {
      const pending = waking.get(name);
      if (pending) return pending;
      const run = (async () => {
        const p = await get(name);
        if (p.status !== "stopped" && !(p.status === "running" && !runtimes.has(name)))
          throw new AppError("E_VALIDATION", `Preview ${name} is ${p.status}: only a stopped one wakes`);
        const inst = await ctx.instances.get(p.instanceId);
        await checkRoom(inst);
        await deps.makeRoom(name);
        const rt = await previewRuntime(ctx, await instanceSide(inst, await ctx.settings()), p);
        runtimes.set(name, rt);
        await rt.start();
        await rt.waitReady({ timeoutMs: 300_000 });
        await upstream(p, rt);
        await store.update(name, { status: "running", lastUsedAt: now() });
      })().finally(() => waking.delete(name));
      waking.set(name, run);
      return run;
    },

    async stop(name: string) {
      await stopPreview(await get(name));
    },

    /** Tears everything down: process, database, filestore, checkout, folder, mailbox, record. */
    async destroy(name: string) {
      const p = await get(name);
      await store.update(name, { status: "destroying" });
      await runtimes.get(name)?.stop();
      runtimes.delete(name);
      await tunnels.close(name);
      const inst = await ctx.instances.get(p.instanceId);
      const side = await instanceSide(inst, await ctx.settings());
      await dropDatabase(side.admin, p.dbName);
      await removeCheckout(side.conn, p.repo, paths(p.workDir).src);
      await side.conn.remove(p.workDir, { recursive: true }).catch(() => {});
      await dropMailbox(ctx, p);
      await store.remove(name);
      await tls.forget(name);
      return { destroyed: name };
    },

    /** The TTL job: previews past their time are destroyed. */
    async expire(at = new Date()) {
      const gone: string[] = [];
      for (const p of await store.list())
        if (!p.promoted && p.expiresAt <= at.toISOString() && p.status !== "creating") {
          await this.destroy(p.name).catch((e) => ctx.log.warn(`Expiring ${p.name} failed: ${e.message}`));
          gone.push(p.name);
        }
      return gone;
    },

    /** Records a visit through the proxy (at most once a minute: a page loads dozens of assets). */
    async touch(p: PreviewRecord) {
      if (Date.now() - Date.parse(p.lastUsedAt) > 60_000) await store.update(p.name, { lastUsedAt: now() });
    },

    /** odoodeck stops: no tunnel stays listening. */
    async shutdown() {
      await tunnels.closeAll();
    },

    /** After a restart no preview runs: records saying "running" wake on their next request. */
    async afterRestart() {
      for (const p of await store.list()) {
        if (p.status === "running") await store.update(p.name, { status: "stopped" });
        if (p.status === "creating" || p.status === "destroying")
          await store.update(p.name, { status: "failed", error: "odoodeck stopped during this step" });
      }
    },
  };
}
