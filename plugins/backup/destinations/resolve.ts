/** Turns destination ids ("local", "s3", "server:<instance id>") into Destination objects. */
import { join } from "node:path";
import type { PluginContext, SettingsValues } from "../../../server/sdk/index.ts";
import { AppError } from "../../../server/sdk/index.ts";
import { EncryptedDestination } from "../encryption/encrypted-destination.ts";
import { loadOrCreateKey } from "../encryption/keys.ts";
import type { BackupSettings } from "../settings.ts";
import { LocalDestination } from "./local.ts";
import { S3Destination } from "./s3.ts";
import { ServerDestination } from "./server.ts";
import type { Destination } from "./types.ts";

export function parseDestinationIds(input: string | string[]): string[] {
  const list = (Array.isArray(input) ? input : input.split(",")).map((s) => s.trim()).filter(Boolean);
  return [...new Set(list)];
}

export async function resolveDestination(
  ctx: PluginContext<BackupSettings>,
  id: string,
  s?: SettingsValues<BackupSettings>,
): Promise<Destination> {
  const cfg = s ?? (await ctx.settings());
  const d = await resolvePlain(ctx, id, cfg);
  // At rest, anything that leaves this machine is encrypted; files written before stay readable.
  if (d.kind === "local" || !cfg.encryptRemote) return d;
  return new EncryptedDestination(d, await loadOrCreateKey(ctx.dataDir, ctx.secrets));
}

async function resolvePlain(
  ctx: PluginContext<BackupSettings>,
  id: string,
  cfg: SettingsValues<BackupSettings>,
): Promise<Destination> {
  if (id === "local") return new LocalDestination(cfg.localDir || join(ctx.dataDir, "backups"));
  if (id === "s3") {
    if (!cfg.s3Endpoint || !cfg.s3Bucket)
      throw new AppError("E_VALIDATION", "The S3 destination is not configured", {
        hint: "Set the S3 endpoint, bucket and keys in the backup settings",
      });
    return new S3Destination({
      endpoint: cfg.s3Endpoint,
      bucket: cfg.s3Bucket,
      region: cfg.s3Region,
      prefix: cfg.s3Prefix,
      accessKeyId: cfg.s3AccessKey,
      secretAccessKey: cfg.s3Secret,
    });
  }
  const m = /^server:(\d+)$/.exec(id);
  if (m) {
    // The SDK reaches servers through instances: an instance id names the server to use.
    const inst = await ctx.instances.get(Number(m[1]));
    return new ServerDestination(await inst.connection(), cfg.serverDir, id);
  }
  throw new AppError("E_VALIDATION", `Unknown destination "${id}"`, {
    hint: "Use local, s3 or server:<instance id>",
  });
}

export async function resolveDestinations(
  ctx: PluginContext<BackupSettings>,
  ids: string[],
): Promise<Destination[]> {
  const s = await ctx.settings();
  return Promise.all(ids.map((id) => resolveDestination(ctx, id, s)));
}
