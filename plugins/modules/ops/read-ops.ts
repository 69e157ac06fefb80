/**
 * The modules plugin's read operations and "record as deployed", declared once: the core serves
 * them on REST (with OpenAPI), the CLI and MCP through its executor (role, instance, audit).
 */
import { AppError, defineOperation, z } from "../../../server/sdk/index.ts";
import { compareModules } from "../report/compare.ts";
import { recordDeployed, reportOf, requireModules } from "../report/modules-service.ts";
import type { ModulesCtx } from "../settings.ts";
import type { ChecksumStore } from "../store/checksum-store.ts";

export function declareReadOperations(ctx: ModulesCtx, store: ChecksumStore): void {
  ctx.operations.declare(
    defineOperation({
      id: "modules.list",
      title: "List modules",
      description:
        "An instance's modules: database state, installed and on-disk versions, missing code, changed files since the last recorded deploy, and the addons paths.",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["modules"],
      async run(op) {
        const r = await reportOf(ctx, store, op.instance!);
        requireModules(r);
        return r;
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "modules.compare",
      title: "Compare modules of two instances",
      description: "Modules only on one side, and modules whose versions or states differ.",
      input: z.object({
        with: z
          .union([z.number().int().positive(), z.string().min(1)])
          .describe("The other instance (id or name)"),
      }),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["modules"],
      async run(op, input) {
        const all = await ctx.instances.list();
        const other = all.find((i) => i.id === input.with || i.name === input.with);
        // Unseen is the same as missing.
        if (!other || !(await op.can("viewer", other.id)))
          throw new AppError("E_NOT_FOUND", `No instance ${JSON.stringify(input.with)}`);
        const [l, r] = await Promise.all([reportOf(ctx, store, op.instance!), reportOf(ctx, store, other)]);
        return {
          left: l.instanceName,
          right: r.instanceName,
          ...compareModules(requireModules(l), requireModules(r)),
        };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "modules.record-checksums",
      title: "Record modules as deployed",
      description:
        "Records the checksums of the installed modules' files (or of `modules`) as the deployed reference: later edits show as changed.",
      input: z.object({
        modules: z
          .array(z.string().min(1))
          .optional()
          .describe("Only these modules (default: every installed one)"),
      }),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["modules"],
      async run(op, input) {
        const n = await recordDeployed(ctx, store, op.instance!, input.modules ?? null, op.actor);
        op.audit({ target: op.instance!.name, modules: n });
        return { recorded: n };
      },
    }),
  );
}
