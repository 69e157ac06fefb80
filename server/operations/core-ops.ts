import { z } from "zod";
import type { Core } from "../core.ts";
import { instanceStatus } from "../instances/instance-status.ts";
import { publicInstance } from "../instances/instances.ts";
import { publicServer } from "../instances/servers.ts";
import { defineOperation } from "../sdk/operation.ts";
import { declareAccountOperations } from "./account-ops.ts";
import { declareInventoryEditOperations } from "./inventory-edit-ops.ts";
import { declareInventoryOperations } from "./inventory-ops.ts";
import { declareJobOperations } from "./job-ops.ts";
import { declareRuntimeOperations } from "./runtime-ops.ts";
import { declareSettingsOperations } from "./settings-ops.ts";
import { declareUserOperations } from "./user-ops.ts";

/**
 * The core's own operations. Their REST paths are the ones the API always had
 * (`GET /api/v1/instances` …), so clients see no change; answers go through publicInstance /
 * publicServer, so a stored secret cannot reach any surface.
 */
export function declareCoreOperations(core: Core): void {
  declareInventoryOperations(core);
  declareInventoryEditOperations(core);
  declareAccountOperations(core);
  declareJobOperations(core);
  declareUserOperations(core);
  declareRuntimeOperations(core);
  declareSettingsOperations(core);
  core.catalog.add(
    "core",
    defineOperation({
      id: "instances.list",
      title: "List instances",
      description: "The Odoo instances the caller may view.",
      input: z.object({}),
      role: "signed-in",
      scope: "global",
      danger: "safe",
      tags: ["instances"],
      http: { method: "GET", path: "/instances" },
      async run(ctx) {
        const out = [];
        for (const r of await core.registry.instanceRows())
          if (await ctx.can("viewer", r.id)) out.push(publicInstance(r));
        return out;
      },
    }),
  );
  core.catalog.add(
    "core",
    defineOperation({
      id: "instances.get",
      title: "Show an instance",
      description: "One instance with its live status (service, database, version).",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["instances"],
      http: { method: "GET", path: "/instances/{instance}" },
      async run(ctx) {
        const row = await core.registry.instanceRow(ctx.instance!.id);
        return { ...publicInstance(row), status: await instanceStatus(core.registry, row) };
      },
    }),
  );
  core.catalog.add(
    "core",
    defineOperation({
      id: "servers.list",
      title: "List servers",
      description: "The servers odoodeck reaches (local or SSH); credentials are never included.",
      input: z.object({}),
      role: "viewer",
      scope: "global",
      danger: "safe",
      tags: ["servers"],
      http: { method: "GET", path: "/servers" },
      async run() {
        return (await core.registry.servers()).map(publicServer);
      },
    }),
  );
}
