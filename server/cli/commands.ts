import { builtinPlugins } from "../../plugins/index.ts";
import { queryAudit } from "../auth/audit.ts";
import { findUserByName, listUsers } from "../auth/users.ts";
import { loadConfig } from "../config.ts";
import { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import { serveMcpStdio } from "../mcp/stdio.ts";
import { opHelp, opList, runAsCli, runOpCommand } from "./ops-cli.ts";

export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  readStdin(): Promise<string>;
}

const table = (rows: Array<Record<string, unknown>>, cols: string[]) => {
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(w[i]))
      .join("  ")
      .trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => String(r[c] ?? ""))))].join("\n");
};

/** Reads a password from stdin (--password-stdin) or prompts twice without echo on a terminal. */
async function readPassword(flags: Record<string, string | boolean>, io: CliIO): Promise<string> {
  if (flags["password-stdin"] || !process.stdin.isTTY) return io.readStdin();
  const first = prompt("Password:") ?? "";
  const second = prompt("Repeat password:") ?? "";
  if (first !== second) throw new AppError("E_VALIDATION", "The two passwords differ");
  return first;
}

/**
 * The tokens after the command word, untouched except for the core's own --data flag: plugin
 * commands parse their own flags (`logs prod -f --level warning`).
 */
export function argsAfter(argv: string[], cmd: string): string[] {
  const out: string[] = [];
  let seen = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--data") {
      i++;
      continue;
    }
    if (a.startsWith("--data=")) continue;
    if (!seen) {
      if (a === cmd) seen = true;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * `odoodeck <plugin> <name> --help`: the operation's generated help, else the usage of the plugin
 * commands of that name (never running them: `--help` must not start a backup).
 */
function commandHelp(core: Core, cmd: string, args: string[], io: CliIO): number {
  const all = core.host.records.flatMap((r) => r.def?.cli ?? []);
  // A plugin command wins over the operation alias when both have the name, as when running.
  const exact = all.find((c) => c.name === `${cmd} ${args[0]}`) ?? all.find((c) => c.name === cmd);
  const op = args[0] ? core.liveOperations().find((x) => x.op.id === `${cmd}.${args[0]}`) : undefined;
  if (op && !exact) {
    io.out(opHelp(op));
    return 0;
  }
  const cmds = exact ? [exact] : all.filter((c) => c.name.split(" ")[0] === cmd);
  const ops = core.liveOperations().filter((x) => x.op.id.startsWith(`${cmd}.`));
  if (!cmds.length && !ops.length)
    throw new AppError("E_VALIDATION", `Unknown command "${cmd}"`, {
      hint: "odoodeck --help lists the commands",
    });
  for (const c of cmds) io.out(`odoodeck ${c.usage ?? c.name}\n  ${c.summary}`);
  if (!exact)
    for (const x of ops)
      io.out(`odoodeck ${x.op.id.replace(".", " ")} …\n  ${x.op.title} (operation; --help for its fields)`);
  return 0;
}

/** Core CLI commands, plus any command a plugin declares. Each opens the store, acts, closes. */
export async function coreCommands(
  cmd: string,
  args: string[],
  flags: Record<string, string | boolean>,
  io: CliIO,
  /** Raw tokens after the command word (flags included): what plugin commands receive. */
  rawArgs: string[] = args,
): Promise<number> {
  // Third-party plugins load as for `serve` (config decides): their commands and operations run too.
  const config = loadConfig({ data: flags.data as string | undefined } as Record<string, string>);
  const core = await Core.open(config);
  try {
    if (cmd === "user") {
      const [sub, name] = args;
      if (sub === "list") {
        io.out(
          table((await listUsers(core.db)) as any, ["id", "username", "role", "disabled", "created_at"]),
        );
        return 0;
      }
      if (!name || !["add", "passwd", "unlock"].includes(sub))
        throw new AppError("E_VALIDATION", "Usage: odoodeck user add|passwd|unlock <name> | user list");
      // users.add / users.unlock / users.passwd through the executor, as the local admin: the
      // page's checks and audit entry (surface "cli", actor cli:$USER, the password masked).
      if (sub === "add") {
        const role = String(flags.role ?? "viewer");
        const password = await readPassword(flags, io);
        const u = (await runAsCli(core, "users.add", { username: name, password, role })) as {
          username: string;
          role: string;
        };
        io.out(`user ${u.username} added with role ${u.role}`);
        return 0;
      }
      if (sub === "unlock") {
        const r = (await runAsCli(core, "users.unlock", { user: name })) as {
          username: string;
          lockedAddresses: number;
        };
        const pairs = r.lockedAddresses;
        io.out(`${r.username} can sign in again (${pairs} locked address${pairs === 1 ? "" : "es"} cleared)`);
        return 0;
      }
      if (!(await findUserByName(core.db, name)))
        throw new AppError("E_NOT_FOUND", `No user named "${name}"`, {
          hint: "odoodeck user list shows who exists",
        }); // before asking for a password
      const password = await readPassword(flags, io);
      const u = (await runAsCli(core, "users.passwd", { user: name, password })) as { username: string };
      io.out(`password of ${u.username} changed; their sessions were signed out`);
      return 0;
    }
    if (cmd === "audit") {
      const rows = await queryAudit(core.db, {
        actor: flags.actor as string,
        action: flags.action as string,
        limit: flags.limit ? Number(flags.limit) : 50,
      });
      io.out(
        flags.json
          ? JSON.stringify(rows, null, 2)
          : table(rows as any, ["at", "actor", "action", "target", "instance_id", "result"]),
      );
      return 0;
    }
    if (cmd === "token") return await (await import("./tokens.ts")).tokenCommands(core, args, flags, io);
    if (cmd === "server" || cmd === "instance")
      return await (await import("./servers.ts")).serverCommands(core, cmd, args, flags, io);
    if (cmd === "plugin" && args[0] === "list") {
      await core.host.load(builtinPlugins, `${config.dataDir}/plugins`);
      io.out(table(core.host.records as any, ["id", "name", "version", "source", "status", "reason"]));
      return 0;
    }
    // Plugin-provided commands run with the plugins started (their routes are not served).
    await core.startPlugins(builtinPlugins, { mode: "cli" });
    if (flags.help && cmd !== "op") return commandHelp(core, cmd, args, io);
    for (const rec of core.host.records)
      for (const c of rec.def?.cli ?? [])
        if (c.name === cmd || c.name === `${cmd} ${args[0]}`) {
          // plugin commands get the raw tokens, flags included, minus a sub-command word
          const rest = c.name.includes(" ") ? rawArgs.slice(rawArgs.indexOf(args[0]) + 1) : rawArgs;
          return (await c.run(rest, rec.ctx!)) ?? 0;
        }
    const after = (word: string) => rawArgs.slice(rawArgs.indexOf(word) + 1);
    if (cmd === "mcp") return await serveMcpStdio(core, flags);
    if (cmd === "op") {
      if (!args[0] || args[0] === "list") return opList(core, io, !!flags.json);
      const d = core.liveOperations().find((x) => x.op.id === args[0]);
      if (!d)
        throw new AppError("E_NOT_FOUND", `No operation ${args[0]}`, { hint: "odoodeck op list shows them" });
      return await runOpCommand(core, d, after(args[0]), io);
    }
    // `odoodeck backup create …` runs the operation "backup.create" when no plugin command has that name.
    const alias = args[0] ? core.liveOperations().find((x) => x.op.id === `${cmd}.${args[0]}`) : undefined;
    if (alias) return await runOpCommand(core, alias, after(args[0]), io);
    throw new AppError("E_VALIDATION", `Unknown command "${cmd}"`, {
      hint: "odoodeck --help lists the commands",
    });
  } finally {
    await core.shutdown();
  }
}
