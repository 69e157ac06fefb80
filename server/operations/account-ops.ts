import { z } from "zod";
import { queryAudit } from "../auth/audit.ts";
import { createToken, listTokens, revokeToken } from "../auth/tokens.ts";
import { findUserByName } from "../auth/users.ts";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { defineOperation, type OperationContext, type OperationDefinition } from "../sdk/operation.ts";
import type { Role } from "../sdk/types.ts";

/** Refuses what the caller may not do on an object's instance; unseen ones answer as missing. */
export async function needOn(ctx: OperationContext, role: Role, instanceId: number | null, what: string) {
  if (!(await ctx.can("viewer", instanceId))) throw new AppError("E_NOT_FOUND", `No ${what}`);
  if (!(await ctx.can(role, instanceId)))
    throw new AppError("E_FORBIDDEN", `This needs the ${role} role${instanceId ? " on this instance" : ""}`);
}

/** API tokens, the audit log and operations as operations (scheduled jobs: job-ops.ts). */
export function declareAccountOperations(core: Core): void {
  const add = <I, O>(op: OperationDefinition<I, O>) => core.catalog.add("core", op as OperationDefinition);
  const isAdmin = (ctx: OperationContext) => ctx.can("admin");
  add(
    defineOperation({
      id: "tokens.list",
      title: "List API tokens",
      description: "Your API tokens (an admin: everyone's), with their limits; never their values.",
      input: z.object({}),
      role: "signed-in",
      scope: "global",
      danger: "safe",
      tags: ["tokens"],
      async run(ctx) {
        return listTokens(core.db, (await isAdmin(ctx)) ? undefined : ctx.principal.userId);
      },
    }),
  );
  add(
    defineOperation({
      id: "tokens.create",
      title: "Create an API token",
      description:
        "A token for the caller, never above the caller's role; optionally limited to instances, MCP tool presets and without destructive operations. The value is shown once.",
      input: z.object({
        name: z.string().describe("80 characters at most"), // createToken says what is wrong
        role: z.enum(["viewer", "operator", "admin"]),
        instances: z.array(z.number().int().positive()).optional().describe("Only these instances (ids)"),
        tools: z.array(z.string()).optional().describe("MCP tool presets (tags), e.g. read, backup"),
        allowDestructive: z.boolean().optional().describe("Default true"),
        owner: z
          .string()
          .optional()
          .describe("The user the token belongs to (an admin's choice; default: the caller)"),
      }),
      role: "viewer",
      scope: "global",
      danger: "mutating",
      tags: ["tokens"],
      async run(ctx, { owner: ownerName, ...input }) {
        const p = ctx.principal;
        let owner: { id: number; role: Role | "none"; username: string } = {
          id: p.userId,
          role: p.role,
          username: p.username,
        };
        if (ownerName !== undefined && ownerName.trim() !== p.username) {
          // `odoodeck token add --user U` runs this as the local admin, for U.
          // Only a person (signed in, or at the machine): a token may not mint credentials for others.
          if (!(await isAdmin(ctx)) || p.via === "token")
            throw new AppError("E_FORBIDDEN", "Only an admin may create a token for another user", {
              hint: "Sign in as an admin, or use odoodeck token add on the machine",
            });
          const u = await findUserByName(core.db, ownerName);
          if (!u || u.disabled)
            throw new AppError("E_VALIDATION", `owner: there is no active user named "${ownerName.trim()}"`, {
              hint: "odoodeck user list shows who exists",
            });
          owner = { id: u.id, role: u.role, username: u.username };
        } else if (p.userId <= 0)
          throw new AppError("E_VALIDATION", "A token belongs to a user", {
            hint: "On the command line: odoodeck token add <name> --user <owner>",
          });
        ctx.audit({ target: `token:${input.name}`, owner: owner.username });
        return createToken(core.db, owner, input);
      },
    }),
  );
  add(
    defineOperation({
      id: "tokens.revoke",
      title: "Revoke an API token",
      description: "Scripts and MCP clients using it stop working at once. Yours, or anyone's for an admin.",
      input: z.object({ id: z.number().int().positive() }),
      role: "viewer",
      scope: "global",
      danger: "mutating",
      tags: ["tokens"],
      async run(ctx, input) {
        const p = ctx.principal;
        ctx.audit({ target: `token:${input.id}` });
        await revokeToken(
          core.db,
          input.id,
          p.userId > 0 ? { id: p.userId, role: p.role } : { id: 0, role: "admin" },
        );
        return { revoked: input.id };
      },
    }),
  );
  add(
    defineOperation({
      id: "audit.list",
      title: "Read the audit log",
      description: "Newest first; filter by actor, action prefix, instance or result.",
      input: z.object({
        actor: z.string().optional(),
        action: z.string().optional().describe("Action prefix, e.g. backup."),
        instanceId: z.number().int().positive().optional(),
        result: z.enum(["ok", "error"]).optional(),
        limit: z.number().int().min(1).max(1000).optional().describe("Default 100"),
      }),
      role: "admin",
      scope: "global",
      danger: "safe",
      tags: ["audit"],
      async run(_ctx, f) {
        return queryAudit(core.db, { ...f, limit: f.limit ?? 100 });
      },
    }),
  );
  add(
    defineOperation({
      id: "operations.list",
      title: "List operations",
      description: "Recent long-running operations (backups, restores…) on instances the caller may view.",
      input: z.object({ limit: z.number().int().min(1).max(500).optional().describe("Default 50") }),
      role: "signed-in",
      scope: "global",
      danger: "safe",
      tags: ["operations"],
      async run(ctx, input) {
        const out = [];
        for (const s of await core.operations.list(input.limit ?? 50))
          if (await ctx.can("viewer", s.instanceId)) out.push(s);
        return out;
      },
    }),
  );
  add(
    defineOperation({
      id: "operations.get",
      title: "Show an operation",
      description: "An operation's steps, progress, result and log.",
      input: z.object({ id: z.string().min(1) }),
      role: "signed-in",
      scope: "global",
      danger: "safe",
      tags: ["operations"],
      async run(ctx, input) {
        const found = await core.operations.load(input.id);
        if (!found) throw new AppError("E_NOT_FOUND", "No such operation");
        await needOn(ctx, "viewer", found.snap.instanceId, "such operation");
        return { ...found.snap, log: found.log };
      },
    }),
  );
  add(
    defineOperation({
      id: "operations.cancel",
      title: "Cancel an operation",
      description: "Asks a running operation to stop; it cleans up what it made and ends cancelled.",
      input: z.object({ id: z.string().min(1) }),
      role: "signed-in",
      scope: "global",
      danger: "mutating",
      tags: ["operations"],
      async run(ctx, input) {
        const op = core.operations.get(input.id);
        if (!op) throw new AppError("E_NOT_FOUND", "No running operation with this id");
        await needOn(ctx, "operator", op.instanceId, "running operation with this id");
        ctx.audit({ target: `operation:${op.id}` });
        return { cancelled: core.operations.cancel(op.id) };
      },
    }),
  );
}
