import { z } from "zod";
import type { Core } from "../core.ts";
import { RUNTIME_ACTIONS, type RuntimeAction, runInstanceAction } from "../runtime/actions.ts";
import { defineOperation, type OperationDefinition } from "../sdk/operation.ts";

const TEXT: Record<RuntimeAction, { title: string; description: string }> = {
  start: {
    title: "Start an instance",
    description: "Starts the instance's Odoo and answers once it is ready, with the time it took.",
  },
  stop: {
    title: "Stop an instance",
    description:
      "Stops the instance's Odoo. A production instance is only stopped with its name in `confirm`.",
  },
  restart: {
    title: "Restart an instance",
    description: "Restarts the instance's Odoo and answers once it is ready again, with the time it took.",
  },
};

/**
 * Start, stop and restart (the instance's runtime card and `POST /api/v1/instances/:id/<action>`
 * run these through the executor). Operator on the instance; stopping production takes it offline,
 * so it asks for the instance's name from whoever may stop it (runInstanceAction checks it).
 */
export function declareRuntimeOperations(core: Core): void {
  for (const action of RUNTIME_ACTIONS)
    core.catalog.add(
      "core",
      defineOperation({
        id: `instances.${action}`,
        ...TEXT[action],
        input: z.object(
          action === "stop"
            ? { confirm: z.string().optional().describe("A production instance: its name, to confirm") }
            : {},
        ),
        role: "operator",
        scope: "instance",
        danger: "mutating",
        tags: ["instances", "runtime"],
        async run(ctx, input: { confirm?: string }) {
          return runInstanceAction(core.runtimes, ctx.instance!, action, { confirm: input.confirm ?? null });
        },
      }) as OperationDefinition,
    );
}
