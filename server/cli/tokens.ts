import { isRole } from "../auth/roles.ts";
import { listTokens } from "../auth/tokens.ts";
import { findUserByName } from "../auth/users.ts";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { limitsText } from "../pages/tokens/token-limits.tsx";
import { resolveInstanceRef } from "../operations/resolve-instance.ts";
import type { CliIO } from "./commands.ts";
import { localPrincipal, runAsCli } from "./ops-cli.ts";

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
  // add and revoke run the operations the page runs (tokens.create / tokens.revoke) through the
  // executor, as the local admin: the same checks and the same audit entry, actor cli:$USER.
  const run = (id: string, input: Record<string, unknown>) => runAsCli(core, id, input);
  if (sub === "revoke" && ref) {
    await run("tokens.revoke", { id: Number(ref) });
    io.out(`token ${ref} revoked`);
    return 0;
  }
  if (sub !== "add" || !ref) throw new AppError("E_VALIDATION", `Usage:\n${TOKEN_USAGE}`);
  const user = String(flags.user ?? "");
  if (!user || !(await findUserByName(core.db, user)))
    throw new AppError("E_VALIDATION", "--user: the token's owner, an existing user", {
      hint: "odoodeck user list shows who exists",
    });
  const role = String(flags.role ?? "viewer");
  if (!isRole(role)) throw new AppError("E_VALIDATION", `Unknown role "${role}"`);
  const instances = [];
  for (const name of csv(flags.instances))
    instances.push((await resolveInstanceRef(core, localPrincipal("cli"), name)).id);
  const limits = { instances, tools: csv(flags.tools), allowDestructive: !flags["no-destructive"] };
  const t = (await run("tokens.create", { name: ref, role, owner: user, ...limits })) as {
    id: number;
    token: string;
  };
  io.out(t.token);
  io.err(`token ${t.id} "${ref}" for ${user.trim()} (${role}); shown once, stored as a hash`);
  return 0;
}
