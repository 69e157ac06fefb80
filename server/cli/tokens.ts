import { recordAudit } from "../auth/audit.ts";
import { isRole } from "../auth/roles.ts";
import { createToken, listTokens, revokeToken } from "../auth/tokens.ts";
import { findUserByName } from "../auth/users.ts";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { limitsText } from "../pages/tokens/token-limits.tsx";
import { resolveInstanceRef } from "../operations/resolve-instance.ts";
import type { Role } from "../sdk/types.ts";
import type { CliIO } from "./commands.ts";
import { localPrincipal } from "./ops-cli.ts";

type Flags = Record<string, string | boolean>;

export const TOKEN_USAGE = `odoodeck token add <name> --user U [--role viewer|operator|admin] [--instances a,b]
                   [--tools read,backup] [--no-destructive]     (prints the token once)
odoodeck token list [--json]     odoodeck token revoke <id>`;

const csv = (v: string | boolean | undefined) =>
  typeof v === "string"
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

/**
 * `odoodeck token …`: API tokens from the machine that holds the data directory, e.g. to give an
 * MCP client or a script a token limited to some instances and tools, without the web UI.
 */
export async function tokenCommands(core: Core, args: string[], flags: Flags, io: CliIO): Promise<number> {
  const [sub, ref] = args;
  const actor = { actor: `cli:${process.env.USER ?? "unknown"}`, ip: null };
  if (sub === "list") {
    const rows = await listTokens(core.db);
    if (flags.json) {
      io.out(JSON.stringify({ ok: true, data: rows }, null, 2));
      return 0;
    }
    const names = new Map((await core.registry.instanceRows()).map((i) => [i.id, i.name]));
    for (const t of rows)
      io.out(
        `${String(t.id).padEnd(4)} ${t.name.padEnd(20)} ${t.username.padEnd(12)} ${t.role.padEnd(8)} ${t.revoked_at ? "revoked" : "active "} ${limitsText(t, names)}`,
      );
    return 0;
  }
  if (sub === "revoke" && ref) {
    const id = Number(ref);
    // The local admin may revoke any token, as an admin may on the page.
    await revokeToken(core.db, id, { id: 0, role: "admin" });
    await recordAudit(core.db, actor, { action: "token.revoke", target: `token:${id}` });
    io.out(`token ${id} revoked`);
    return 0;
  }
  if (sub !== "add" || !ref) throw new AppError("E_VALIDATION", `Usage:\n${TOKEN_USAGE}`);
  const owner = await findUserByName(core.db, String(flags.user ?? ""));
  if (!owner)
    throw new AppError("E_VALIDATION", "--user: the token's owner, an existing user", {
      hint: "odoodeck user list shows who exists",
    });
  const role = String(flags.role ?? "viewer");
  if (!isRole(role)) throw new AppError("E_VALIDATION", `Unknown role "${role}"`);
  const instances = [];
  for (const name of csv(flags.instances))
    instances.push((await resolveInstanceRef(core, localPrincipal("cli"), name)).id);
  const limits = { instances, tools: csv(flags.tools), allowDestructive: !flags["no-destructive"] };
  const t = await createToken(core.db, owner, { name: ref, role: role as Role, ...limits });
  await recordAudit(core.db, actor, {
    action: "token.create",
    target: `token:${ref}`,
    details: { owner: owner.username, role, ...limits },
  });
  io.out(t.token);
  io.err(`token ${t.id} "${ref}" for ${owner.username} (${role}); shown once, stored as a hash`);
  return 0;
}
