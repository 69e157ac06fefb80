/**
 * Templates: a neutralized copy of an instance's database and filestore that previews are cloned
 * from. Built under a temporary name, neutralized and checked, then swapped in: a failed refresh
 * leaves the previous template as it was (a half-made template is never marked ready).
 */
import { AppError, type InstanceHandle, odoo } from "../../../server/sdk/index.ts";
import { linkTree } from "./filestore.ts";
import { templateDb } from "../names.ts";
import { type NeutralizeService, neutralizeTemplate } from "./neutralize.ts";
import { copyDatabase, databaseExists, dropDatabase, markTemplate } from "./pg-tools.ts";
import type { PreviewsCtx } from "../settings.ts";
import { instanceSide } from "./side.ts";
import { dropSpare, refillSpare } from "./spare.ts";
import type { PreviewStore, TemplateRecord } from "../store.ts";

export const TEMPLATE_STEPS = ["copy database", "copy filestore", "neutralize", "swap"];

export function startTemplateRefresh(
  ctx: PreviewsCtx,
  store: PreviewStore,
  inst: InstanceHandle,
  input: { name: string; repo: string | null },
  actor: string,
) {
  const op = ctx.operations.start({
    kind: "previews.template",
    title: `Template ${input.name} from ${inst.name}`,
    instanceId: inst.id,
    actor,
    steps: TEMPLATE_STEPS,
    run: async (o) => {
      const t0 = performance.now();
      const side = await instanceSide(inst, await ctx.settings());
      const dbName = templateDb(input.name);
      const fresh = `${dbName}__new`;
      const dir = `${side.workRoot}/templates/${input.name}`;
      const rec = await store.upsertTemplate({
        instanceId: inst.id,
        name: input.name,
        dbName,
        filestore: `${dir}/filestore`,
        repo: input.repo,
      });
      try {
        await side.conn.mkdir(dir, { recursive: true, mode: 0o700 });
        await o.step("copy database", async (s) => {
          await dropDatabase(side.admin, fresh); // a leftover of an interrupted refresh
          await copyDatabase(side.conn, side.admin, inst.dbName!, fresh, dir, s.signal);
        });
        const files = await o.step("copy filestore", async () => {
          await side.conn.remove(`${dir}/filestore.new`, { recursive: true }).catch(() => {});
          const method = await linkTree(
            side.conn,
            side.settings.filestorePath(inst.dbName!),
            `${dir}/filestore.new`,
          );
          const owner = await odoo.serviceOwner(side.conn, side.settings.dataDir);
          await odoo.chownTree(side.conn, `${dir}/filestore.new`, owner);
          return { method };
        });
        const neutral = await o.step("neutralize", () =>
          neutralizeTemplate(side, fresh, ctx.services.get<NeutralizeService>("backup.neutralize")),
        );
        await o.step("swap", async () => {
          // The old template's spare goes with it (a spare being made is waited for first).
          await dropSpare(side.admin, dbName);
          await dropDatabase(side.admin, dbName);
          await side.admin.query(`ALTER DATABASE "${fresh}" RENAME TO "${dbName}"`);
          await markTemplate(side.admin, dbName);
          await side.conn.remove(`${dir}/filestore`, { recursive: true }).catch(() => {});
          await side.conn.rename(`${dir}/filestore.new`, `${dir}/filestore`);
        });
        const seconds = (performance.now() - t0) / 1000;
        const refreshedAt = new Date().toISOString();
        await store.updateTemplate(rec.id, {
          status: "ready",
          report: { ...neutral, filestore: files.method },
          seconds,
          refreshedAt,
          error: null,
        });
        if ((await ctx.settings()).warm_spare)
          void refillSpare(side.admin, { dbName, refreshedAt }, (e) =>
            ctx.log.warn(`Warm spare of template ${input.name} failed: ${e.message}`),
          );
        return { template: input.name, dbName, seconds, neutralizedVia: neutral.via };
      } catch (e) {
        // Fail closed: the half-made copy goes; a previous template stays usable.
        await dropDatabase(side.admin, fresh).catch(() => {});
        await side.conn.remove(`${dir}/filestore.new`, { recursive: true }).catch(() => {});
        const ready = await databaseExists(side.admin, dbName).catch(() => false);
        await store.updateTemplate(rec.id, {
          status: ready ? "ready" : "failed",
          error: (e as Error).message,
        });
        throw e;
      }
    },
  });
  return op;
}

export async function readyTemplate(store: PreviewStore, name: string): Promise<TemplateRecord> {
  const t = await store.template(name);
  if (!t) throw new AppError("E_NOT_FOUND", `There is no template ${name}`);
  if (t.status !== "ready")
    throw new AppError("E_VALIDATION", `Template ${name} is ${t.status}`, {
      hint: t.error ?? "Refresh it from its instance first",
    });
  return t;
}
