import { z } from "zod";
import { createUser, findUserByName, getUser, listUsers, setPassword, updateUser } from "../auth/users.ts";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { defineOperation, type OperationDefinition } from "../sdk/operation.ts";

const userRef = z
  .union([z.number().int().positive(), z.string().min(1)])
  .describe("The user: their id or their username");

/** A user by id or username; the same E_NOT_FOUND (with where to look) for both. */
async function userOf(core: Core, ref: number | string) {
  const byName = typeof ref === "string" && !/^\d+$/.test(ref);
  const u = byName
    ? await findUserByName(core.db, ref)
    : await getUser(core.db, Number(ref)).catch(() => undefined);
  if (!u) throw new AppError("E_NOT_FOUND", `No user ${ref}`, { hint: "users.list shows who exists" });
  return { id: u.id, username: u.username, role: u.role, disabled: u.disabled };
}

/**
 * odoodeck's users as operations (admin only). Passwords go in but never out, and the audit entry
 * masks them. On the command line `odoodeck user add|passwd` stays the way to set one: it asks for
 * it instead of taking it as an argument that `ps` and the shell history would keep.
 */
export function declareUserOperations(core: Core): void {
  const add = <I, O>(op: OperationDefinition<I, O>) => core.catalog.add("core", op as OperationDefinition);
  add(
    defineOperation({
      id: "users.list",
      title: "List users",
      description: "odoodeck's users with their role and whether they are disabled; never their passwords.",
      input: z.object({}),
      role: "admin",
      scope: "global",
      danger: "safe",
      tags: ["users"],
      run: async () => listUsers(core.db),
    }),
  );
  add(
    defineOperation({
      id: "users.add",
      title: "Add a user",
      description:
        "A user who signs in with a password (12+ characters, not the username). Per-instance rights are granted on the instance.",
      input: z.object({
        username: z.string().describe("2-64 letters, digits or . _ @ -"), // createUser says what is wrong
        password: z.string().min(1).describe("12 characters or more"),
        role: z.enum(["viewer", "operator", "admin"]).describe("Role on every instance"),
      }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["users"],
      async run(ctx, input) {
        ctx.audit({ target: `user:${input.username}`, role: input.role });
        return createUser(core.db, input);
      },
    }),
  );
  add(
    defineOperation({
      id: "users.passwd",
      title: "Set a user's password",
      description: "Replaces the password and signs the user out everywhere.",
      input: z.object({ user: userRef, password: z.string().min(1).describe("12 characters or more") }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["users"],
      async run(ctx, input) {
        const u = await userOf(core, input.user);
        ctx.audit({ target: `user:${u.username}` });
        await setPassword(core.db, u.id, input.password);
        return { id: u.id, username: u.username, signedOut: true };
      },
    }),
  );
  add(
    defineOperation({
      id: "users.role",
      title: "Change a user's role",
      description:
        "Sets the role on every instance and/or disables the account (a disabled user is signed out). The last active admin cannot lose the role.",
      input: z.object({
        user: userRef,
        role: z.enum(["viewer", "operator", "admin"]).optional().describe("Role on every instance"),
        disabled: z.boolean().optional(),
      }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["users"],
      async run(ctx, input) {
        if (input.role === undefined && input.disabled === undefined)
          throw new AppError("E_VALIDATION", "Give a role or disabled", { hint: 'e.g. "role": "operator"' });
        const u = await userOf(core, input.user);
        ctx.audit({ target: `user:${u.username}`, role: input.role, disabled: input.disabled });
        await updateUser(core.db, u.id, { role: input.role, disabled: input.disabled });
        return userOf(core, u.id);
      },
    }),
  );
  add(
    defineOperation({
      id: "users.unlock",
      title: "Unlock a user's sign-in",
      description: "Clears the sign-in lockouts after too many failed attempts, from every address.",
      input: z.object({ user: userRef }),
      role: "admin",
      scope: "global",
      danger: "mutating",
      tags: ["users"],
      async run(ctx, input) {
        const u = await userOf(core, input.user);
        ctx.audit({ target: `user:${u.username}` });
        return { username: u.username, lockedAddresses: await core.limiter.unlock(u.username) };
      },
    }),
  );
}
