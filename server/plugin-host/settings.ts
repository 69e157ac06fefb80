import { AppError } from "../errors.ts";
import type { SecretsApi, SettingSpec, SettingsSchema } from "../sdk/types.ts";
import type { CoreDb } from "../db/schema.ts";

/** Parses one submitted value against its spec; throws E_VALIDATION naming the setting. */
export function parseSetting(key: string, spec: SettingSpec, raw: unknown): string | number | boolean {
  const bad = (why: string) => new AppError("E_VALIDATION", `${spec.label} (${key}) ${why}`);
  switch (spec.type) {
    case "boolean":
      if (typeof raw === "boolean") return raw;
      return raw === "on" || raw === "true" || raw === "1" || raw === 1;
    case "number": {
      const n = typeof raw === "number" ? raw : Number(String(raw ?? "").trim());
      if (!Number.isFinite(n)) throw bad("must be a number");
      if (spec.min !== undefined && n < spec.min) throw bad(`must be at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw bad(`must be at most ${spec.max}`);
      return n;
    }
    case "select":
      if (!spec.options.includes(String(raw))) throw bad(`must be one of ${spec.options.join(", ")}`);
      return String(raw);
    case "string":
      if (typeof raw !== "string") throw bad("must be text");
      if (spec.pattern && !new RegExp(spec.pattern).test(raw)) throw bad(`must match ${spec.pattern}`);
      return raw;
    case "secret":
      if (typeof raw !== "string") throw bad("must be text");
      return raw;
  }
}

/** Stored values merged over the defaults; secrets are decrypted for the plugin, never for pages. */
export async function readSettings(
  db: CoreDb,
  secrets: SecretsApi,
  pluginId: string,
  schema: SettingsSchema,
): Promise<Record<string, unknown>> {
  const rows = await db
    .selectFrom("settings")
    .select(["key", "value"])
    .where("scope", "=", `plugin:${pluginId}`)
    .execute();
  const stored = new Map(rows.map((r) => [r.key as string, JSON.parse(r.value as string)]));
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    const v = stored.has(key) ? stored.get(key) : spec.default;
    out[key] =
      spec.type === "secret" && typeof v === "string" && v.startsWith("v1:") ? secrets.decrypt(v) : v;
  }
  return out;
}

/** Validates every submitted key first, then writes them all: a bad value changes nothing. */
export async function writeSettings(
  db: CoreDb,
  secrets: SecretsApi,
  pluginId: string,
  schema: SettingsSchema,
  input: Record<string, unknown>,
): Promise<string[]> {
  const changes: Array<[string, unknown]> = [];
  for (const [key, spec] of Object.entries(schema)) {
    if (spec.type === "secret" && (input[key] === undefined || input[key] === "")) continue; // blank keeps the stored secret
    if (spec.type !== "boolean" && input[key] === undefined) continue;
    const v = parseSetting(key, spec, input[key]);
    changes.push([key, spec.type === "secret" ? secrets.encrypt(String(v)) : v]);
  }
  await db.transaction().execute(async (tx) => {
    for (const [key, value] of changes)
      await tx
        .insertInto("settings")
        .values({ scope: `plugin:${pluginId}`, key, value: JSON.stringify(value) })
        .onConflict((oc) => oc.columns(["scope", "key"]).doUpdateSet({ value: JSON.stringify(value) }))
        .execute();
  });
  return changes.map(([k]) => k);
}
