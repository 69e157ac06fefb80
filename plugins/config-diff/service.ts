import { AppError, type PluginContext } from "odoodeck/sdk";
import { compareConfigs, presentConfig } from "./present.ts";
import { type InstanceConfig, readInstanceConfig } from "./read-instance.ts";
import { isSecret } from "./secrets.ts";
import { recordSnapshot } from "./snapshots.ts";

/** Reads an instance and records a snapshot of what was read (every read feeds the history). */
export async function readAndRecord(
  ctx: PluginContext,
  id: number,
  source: string,
  facts = false,
): Promise<InstanceConfig & { changes: number | null }> {
  const cfg = await readInstanceConfig(await ctx.instances.get(id), { facts });
  const snap = await recordSnapshot(ctx, cfg, source).catch((e) => {
    ctx.log.warn("config snapshot not recorded", { instanceId: id, error: String((e as Error).message) });
    return null;
  });
  return { ...cfg, changes: snap ? snap.changes.length : null };
}

export async function configView(ctx: PluginContext, id: number, source: string) {
  return presentConfig(await readAndRecord(ctx, id, source, true));
}

export async function comparison(ctx: PluginContext, a: number, b: number, source: string) {
  const [left, right] = await Promise.all([readAndRecord(ctx, a, source), readAndRecord(ctx, b, source)]);
  return compareConfigs(left, right);
}

/** The clear value of one secret; the executor audits it (config-diff.reveal, on every surface). */
export async function secretValue(
  ctx: PluginContext,
  id: number,
  scope: string,
  key: string,
): Promise<string> {
  if (scope !== "conf" && scope !== "params")
    throw new AppError("E_VALIDATION", "scope must be conf or params", { hint: "Use the Reveal button" });
  const cfg = await readInstanceConfig(await ctx.instances.get(id));
  const values = scope === "conf" ? cfg.conf?.options : cfg.params;
  const problem = scope === "conf" ? cfg.confError : cfg.paramsError;
  if (!values)
    throw new AppError(
      problem?.code === "E_CONF_INVALID" ? "E_CONF_INVALID" : "E_NOT_FOUND",
      problem?.message,
      {
        hint: problem?.hint,
      },
    );
  const value = Object.hasOwn(values, key) ? values[key] : undefined;
  if (value == null)
    throw new AppError("E_NOT_FOUND", `"${key}" is not set`, {
      hint: "Reload the page: the file may have changed",
    });
  if (!isSecret(key, value))
    throw new AppError("E_VALIDATION", `"${key}" is not a secret: it is shown in the table`);
  return value;
}
