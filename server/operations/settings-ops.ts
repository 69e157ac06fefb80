import { z } from "zod";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { isSecret, MASK } from "../masking.ts";
import { writeSettings } from "../plugin-host/settings.ts";
import { defineOperation, type OperationDefinition } from "../sdk/operation.ts";
import type { SettingsSchema } from "../sdk/types.ts";
import { withAuditMask } from "./audit-masks.ts";

/** The settings schema of a started plugin, or E_NOT_FOUND. */
function schemaOf(core: Core, plugin: string): { name: string; schema: SettingsSchema } {
  const rec = core.host.get(plugin);
  if (!rec?.def?.settings || !Object.keys(rec.def.settings).length)
    throw new AppError("E_NOT_FOUND", "No such plugin settings", { hint: "The Settings page lists them" });
  return { name: rec.name, schema: rec.def.settings as SettingsSchema };
}

/**
 * A plugin's settings as an operation (the Settings page runs it). Values of secret settings are
 * stored encrypted and never reach the audit log: the entry keeps which keys were sent, with every
 * secret (by the plugin's schema, by its name or by its shape) masked.
 */
export function declareSettingsOperations(core: Core): void {
  const op = defineOperation({
    id: "settings.set",
    title: "Change a plugin's settings",
    description:
      "Sets some of a plugin's settings (see the Settings page for their keys). Keys left out keep their value; a blank secret keeps the stored one. A bad value changes nothing.",
    input: z.object({
      plugin: z.string().min(1).describe("The plugin's id, e.g. backup"),
      values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    }),
    role: "admin",
    scope: "global",
    danger: "mutating",
    tags: ["settings"],
    async run(ctx, input) {
      const { name, schema } = schemaOf(core, input.plugin);
      const unknown = Object.keys(input.values).filter((k) => !(k in schema));
      if (unknown.length)
        throw new AppError("E_VALIDATION", `${name} has no setting ${unknown.join(", ")}`, {
          hint: `Its settings: ${Object.keys(schema).join(", ")}`,
        });
      ctx.audit({ target: `plugin:${input.plugin}` });
      // Only the keys sent: writeSettings reads a missing boolean as an unticked box.
      const sent = Object.fromEntries(Object.entries(schema).filter(([k]) => k in input.values));
      const changed = await writeSettings(core.db, core.secrets, input.plugin, sent, input.values);
      return { plugin: input.plugin, name, changed };
    },
  });
  core.catalog.add(
    "core",
    withAuditMask(op as OperationDefinition, (raw) => {
      const values = raw.values;
      if (!values || typeof values !== "object" || Array.isArray(values)) return raw;
      let schema: SettingsSchema = {};
      try {
        schema = schemaOf(core, String(raw.plugin)).schema;
      } catch {
        // an unknown plugin: no schema to tell secrets apart, so nothing is kept
      }
      const masked = Object.fromEntries(
        Object.entries(values as Record<string, unknown>).map(([k, v]) => {
          const secret = !(k in schema) || schema[k]!.type === "secret" || isSecret(k, String(v ?? ""));
          return [k, secret && v !== "" ? MASK : v];
        }),
      );
      return { ...raw, values: masked };
    }),
  );
}
