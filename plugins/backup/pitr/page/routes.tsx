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
import { PitrRestoreCard } from "./restore-form.tsx";
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
    const currentDb = await targetSide(inst)
      .then((t) => t.currentDb)
      .catch(() => inst.dbName);
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
    const r = await ctx.operations.invoke(c, "backup.pitr-restore", input);
    return c.redirect(`/operations/${r.operationId}`, 303);
  });
  return pages;
}
