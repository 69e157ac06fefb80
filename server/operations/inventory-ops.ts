import { z } from "zod";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { instanceDatabases } from "../instances/instance-status.ts";
import { createInstance, publicInstance, removeInstance } from "../instances/instances.ts";
import type { ServerRow } from "../instances/registry.ts";
import { probeServer } from "../instances/server-probe.ts";
import { serverFields } from "../instances/server-fields.ts";
import { acceptHostKey, createServer, publicServer } from "../instances/servers.ts";
import { discoverOdooConfs } from "../odoo/discovery.ts";
import { defineOperation, type OperationDefinition } from "../sdk/operation.ts";

export const serverRef = z
  .union([z.number().int().positive(), z.string().min(1)])
  .describe("The server: its id or its name");

export async function serverOf(core: Core, ref: number | string): Promise<ServerRow> {
  const s = (await core.registry.servers()).find((x) => x.id === Number(ref) || x.name === String(ref));
  if (!s) throw new AppError("E_NOT_FOUND", `No server ${ref}`, { hint: "servers.list shows them" });
  return s;
}

/**
 * Servers and instances as operations (the JSON API's old paths call these through the executor).
 * Secrets go in (password, privateKey) but never out: answers are publicServer/publicInstance,
 * and the audit entry masks fields named like a secret.
 */
export function declareInventoryOperations(core: Core): void {
  const add = <I, O>(op: OperationDefinition<I, O>) => core.catalog.add("core", op as OperationDefinition);
  add(
    defineOperation({
      id: "servers.add",
      title: "Add a server",
      description:
        "Registers a server reached locally or over SSH (key or password; the host key is pinned on first use).",
      input: serverFields,
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["servers"],
      async run(ctx, input) {
        const row = await createServer(core.db, core.secrets, input);
        ctx.audit({ target: `server:${row.name}`, kind: row.kind, host: row.host });
        return publicServer(row);
      },
    }),
  );
  add(
    defineOperation({
      id: "servers.test",
      title: "Test a server",
      description:
        "Connects to the server and reports reachability, authentication, host key and tools found.",
      input: z.object({ server: serverRef }),
      role: "operator",
      scope: "global",
      danger: "safe",
      tags: ["servers"],
      async run(_ctx, input) {
        return probeServer(core.registry, (await serverOf(core, input.server)).id);
      },
    }),
  );
  add(
    defineOperation({
      id: "servers.accept-key",
      title: "Accept a server's new host key",
      description:
        "Pins the host key a failed connection recorded as changed. Only after checking it out of band.",
      input: z.object({ server: serverRef }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["servers"],
      async run(ctx, input) {
        const row = await serverOf(core, input.server);
        ctx.audit({ target: `server:${row.name}`, from: row.host_key, to: row.pending_host_key });
        const hostKey = await acceptHostKey(core.db, row);
        await core.registry.forget(row.id);
        return { hostKey };
      },
    }),
  );
  add(
    defineOperation({
      id: "servers.discover",
      title: "Discover Odoo on a server",
      description:
        "Looks for odoo.conf files (etc, systemd units, running processes, containers) on the server.",
      input: z.object({ server: serverRef }),
      role: "operator",
      scope: "global",
      danger: "safe",
      tags: ["servers", "instances"],
      async run(_ctx, input) {
        const { id } = await serverOf(core, input.server);
        try {
          return await discoverOdooConfs(await core.registry.connection(id));
        } catch (e) {
          await core.registry.noteFailure(id, e);
          throw e;
        }
      },
    }),
  );
  add(
    defineOperation({
      id: "instances.add",
      title: "Add an instance",
      description: "Registers an Odoo instance by its odoo.conf on a server.",
      input: z.object({
        name: z.string(),
        serverId: z.union([z.number().int().positive(), z.string()]),
        confPath: z.string().describe("Absolute path of its odoo.conf on the server"),
        dbName: z.string().nullable().optional(),
        service: z.string().nullable().optional(),
        container: z.string().nullable().optional(),
        publicUrl: z.string().nullable().optional(),
        production: z.boolean().nullable().optional(),
        group: z.string().nullable().optional(),
        tags: z.array(z.string()).nullable().optional(),
      }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["instances"],
      async run(ctx, input) {
        const row = await createInstance(core.db, input);
        ctx.audit({ target: `instance:${row.name}`, confPath: row.conf_path });
        core.bus.emit("instance.added", { instanceId: row.id });
        return publicInstance(row);
      },
    }),
  );
  add(
    defineOperation({
      id: "instances.remove",
      title: "Remove an instance",
      description:
        "Forgets an instance (its grants, schedules and history links); the Odoo instance itself is not touched.",
      input: z.object({}),
      role: "admin",
      scope: "instance",
      danger: "destructive",
      tags: ["instances"],
      async run(ctx) {
        const row = await core.registry.instanceRow(ctx.instance!.id);
        await removeInstance(core.db, row, row.name); // the executor checked the typed name
        core.bus.emit("instance.removed", { instanceId: row.id });
        return { removed: row.id };
      },
    }),
  );
  add(
    defineOperation({
      id: "instances.databases",
      title: "List an instance's databases",
      description: "The databases on the instance's PostgreSQL server, with size, owner and Odoo version.",
      input: z.object({}),
      role: "operator",
      scope: "instance",
      danger: "safe",
      tags: ["instances", "database"],
      async run(ctx) {
        return instanceDatabases(core.registry, await core.registry.instanceRow(ctx.instance!.id));
      },
    }),
  );
}
