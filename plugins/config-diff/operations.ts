/**
 * The configuration plugin's operations: declared once, served on REST
 * (`POST /api/v1/ops/config-diff.*`), the CLI and MCP by the core's executor (role, instance,
 * input, audit). Operation ids carry the plugin's id ("config-diff."), as the catalogue requires.
 * Answers are masked as on the page; only config-diff.reveal shows one secret, to an admin.
 */
import { AppError, defineOperation, type PluginContext, z } from "odoodeck/sdk";
import { comparison, configView, secretValue } from "./service.ts";
import { timeline } from "./snapshots.ts";

export function declareConfigOperations(ctx: PluginContext): void {
  const declare = ctx.operations.declare.bind(ctx.operations);
  declare(
    defineOperation({
      id: "config-diff.show",
      title: "Show an instance's configuration",
      description:
        "odoo.conf and the system parameters, explained and checked (findings), secrets masked. Every read is kept in the history.",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["config"],
      run: async (op) => configView(ctx, op.instance!.id, "api"),
    }),
  );
  declare(
    defineOperation({
      id: "config-diff.diff",
      title: "Compare two instances' configuration",
      description:
        "odoo.conf options and system parameters side by side (e.g. staging against production): what differs, what only one has. Secrets are compared, never shown.",
      input: z.object({ other: z.number().int().positive().describe("The instance to compare with (id)") }),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["config"],
      async run(op, input) {
        // The other instance is read too: one the caller may not view answers as missing.
        if (!(await op.can("viewer", input.other)))
          throw new AppError("E_NOT_FOUND", `No instance with id ${input.other}`);
        return comparison(ctx, op.instance!.id, input.other, "api");
      },
    }),
  );
  declare(
    defineOperation({
      id: "config-diff.history",
      title: "Configuration history",
      description:
        "What changed in odoo.conf and the system parameters, snapshot by snapshot, newest first (keys, never values).",
      input: z.object({ limit: z.number().int().min(1).max(500).optional().describe("Default 50") }),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["config"],
      run: async (op, input) => timeline(ctx, op.instance!.id, input.limit ?? 50),
    }),
  );
  declare(
    defineOperation({
      id: "config-diff.reveal",
      title: "Reveal one secret",
      description:
        "The clear value of one masked odoo.conf option or system parameter (e.g. admin_passwd). Admin only; every reveal is in the audit log.",
      input: z.object({
        scope: z.enum(["conf", "params"]).describe("conf (odoo.conf) or params (system parameters)"),
        key: z.string().min(1).describe("The option or parameter, e.g. admin_passwd"),
      }),
      role: "admin",
      scope: "instance",
      // Reads, but shows a secret: "mutating" so each call is audited and read-only MCP presets leave it out.
      danger: "mutating",
      tags: ["config"],
      async run(op, input) {
        op.audit({ target: `${input.scope}:${input.key}` });
        const value = await secretValue(ctx, op.instance!.id, input.scope, input.key);
        return { scope: input.scope, key: input.key, value };
      },
    }),
  );
}
