/**
 * The point-in-time restore on the instance's Restore tab: GET answers the form (the tab loads it
 * with htmx; it is also a page of its own), POST runs `backup.pitr-restore` through the core's one
 * executor (role, production rule, confirmation, lock and audit as on REST) and sends the user to
 * the operation's page. Another instance's form answers as if it did not exist.
 */
import { Hono } from "hono";
import { type AppContext, AppError, type Env, type PluginContext } from "../../../../server/sdk/index.ts";
import { instanceFor } from "../../http/access.ts";
import { targetSide } from "../../restore/restore-request.ts";
import { PitrRestoreCard, type RewindChoice } from "./restore-form.tsx";
import { checkRewind } from "../rewind-op.ts";
import { pickedInstant } from "../window-words.ts";
import type { PitrService } from "../service.ts";

const instanceId = (c: AppContext): number => {
  const id = Number(c.req.param("instance"));
  if (!Number.isInteger(id) || id <= 0) throw new AppError("E_VALIDATION", "Invalid instance id");
  return id;
};

export function pitrPages(ctx: PluginContext<any>, pitr: PitrService): Hono<Env> {
  const pages = new Hono<Env>();
  pages.get("/i/:instance/pitr", async (c) => {
    const { inst } = await instanceFor(ctx, c, instanceId(c), "viewer");
    const health = await pitr.health(inst).catch(() => null);
    const t = await targetSide(inst).catch(() => null);
    const currentDb = t ? t.currentDb : inst.dbName;
    const rewind: RewindChoice =
      t && pitr.enabled(inst.id)
        ? await checkRewind(pitr, { t, at: new Date(), actor: "", backups: [] }).then(
            (l): RewindChoice => ({ ok: true, dataDir: l.dataDir, bytes: l.bytes, rollbacks: l.rollbacks }),
            (e): RewindChoice => ({
              ok: false,
              why: (e as Error).message,
              hint: e instanceof AppError ? (e.hint ?? null) : null,
            }),
          )
        : { ok: false, why: "continuous WAL is not enabled", hint: null };
    return ctx.views.page(c, {
      title: `Restore to a point in time · ${inst.name}`,
      instanceId: inst.id,
      body: (
        <div id="pitr-restore">
          <PitrRestoreCard
            inst={inst}
            currentDb={currentDb}
            enabled={pitr.enabled(inst.id)}
            window={health?.window ?? null}
            rewind={rewind}
          />
        </div>
      ),
    });
  });
  pages.post("/i/:instance/pitr-restore", async (c) => {
    const { inst } = await instanceFor(ctx, c, instanceId(c), "viewer");
    const body = await c.req.parseBody();
    const input: Record<string, unknown> = {
      instance: inst.id,
      at: pickedInstant(body.at),
      neutralize: body.neutralize === "on" ? "on" : "off",
      confirm: String(body.confirm ?? "").trim(),
    };
    if (body.target === "new") input.newDb = String(body.dbName ?? "").trim();
    if (body.target === "cluster") {
      input.mode = "cluster";
      input.neutralize = "off"; // the checkbox is for copies: production goes back as it was
    }
    const r = await ctx.operations.invoke(c, "backup.pitr-restore", input);
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  return pages;
}
