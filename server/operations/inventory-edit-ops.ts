import { z } from "zod";
import type { Core } from "../core.ts";
import { publicInstance, setGrant, updateInstance } from "../instances/instances.ts";
import { serverFields } from "../instances/server-fields.ts";
import { deleteServer, publicServer, updateServer } from "../instances/servers.ts";
import { defineOperation, type OperationDefinition } from "../sdk/operation.ts";
import { serverOf, serverRef } from "./inventory-ops.ts";

const optionalText = z.string().nullable().optional();

/**
 * Editing and removing what servers.add / instances.add made, and per-instance grants (the
 * server and instance pages run these through the executor). Admin only; secrets go in but never
 * out, and the audit entry masks fields named like a secret.
 */
export function declareInventoryEditOperations(core: Core): void {
  const add = <I, O>(op: OperationDefinition<I, O>) => core.catalog.add("core", op as OperationDefinition);
  add(
    defineOperation({
      id: "servers.edit",
      title: "Edit a server",
      description:
        "Changes a server's name, address, credentials or jump server. Blank credentials keep the stored ones; a new address forgets the pinned host key.",
      // The same fields as servers.add (server-fields.ts), each optional: left out keeps it.
      input: serverFields.partial().extend({ server: serverRef }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["servers"],
      async run(ctx, { server, ...input }) {
        const prev = await serverOf(core, server);
        ctx.audit({ target: `server:${prev.name}` });
        const row = await updateServer(core.db, core.secrets, prev, input);
        await core.registry.forget(prev.id); // the next connection uses the new settings
        return publicServer(row);
      },
    }),
  );
  add(
    defineOperation({
      id: "servers.remove",
      title: "Remove a server",
      description:
        "Forgets a server and its stored credentials. Refused (E_CONFLICT) while instances use it or another server jumps through it.",
      input: z.object({ server: serverRef }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["servers"],
      async run(ctx, input) {
        const row = await serverOf(core, input.server);
        ctx.audit({ target: `server:${row.name}` });
        await deleteServer(core.db, row.id);
        await core.registry.forget(row.id);
        return { removed: row.id };
      },
    }),
  );
  add(
    defineOperation({
      id: "instances.edit",
      title: "Edit an instance",
      description:
        "Changes an instance's name, server, odoo.conf path, database, service, container, URL, production flag, group or tags. Fields left out keep their value.",
      input: z.object({
        name: z.string().optional(),
        serverId: z.union([z.number().int().positive(), z.string()]).optional(),
        confPath: z.string().optional().describe("Absolute path of its odoo.conf on the server"),
        dbName: optionalText,
        service: optionalText,
        container: optionalText,
        publicUrl: optionalText,
        production: z.boolean().nullable().optional(),
        group: optionalText,
        tags: z
          .union([z.array(z.string()), z.string()])
          .nullable()
          .optional()
          .describe("A list, or comma-separated"),
      }),
      role: "admin",
      scope: "instance",
      danger: "mutating",
      tags: ["instances"],
      async run(ctx, input) {
        const prev = await core.registry.instanceRow(ctx.instance!.id);
        const now = await updateInstance(core.db, prev, input);
        core.bus.emit("instance.updated", {
          instanceId: prev.id,
          productionChanged: !!now.production !== !!prev.production,
        });
        return publicInstance(now);
      },
    }),
  );
  add(
    defineOperation({
      id: "instances.grants.set",
      title: "Set a user's access to an instance",
      description:
        'Gives a user a role on this one instance (on top of their global role), or takes it away with "none".',
      input: z.object({
        username: z.string(),
        role: z.enum(["viewer", "operator", "admin", "none"]).describe('"none" removes the grant'),
      }),
      role: "admin",
      scope: "instance",
      danger: "mutating",
      tags: ["instances", "users"],
      async run(ctx, input) {
        ctx.audit({ target: `user:${input.username}`, role: input.role });
        await setGrant(core.db, ctx.instance!.id, input.username, input.role);
        return { instance: ctx.instance!.id, username: input.username.trim(), role: input.role };
      },
    }),
  );
}
