#!/usr/bin/env bun
import { builtinPlugins } from "../plugins/index.ts";
import { buildApp } from "./app.ts";
import { ensureSetupLink } from "./pages/auth/auth-pages.tsx";
import { CONFIG_FLAGS, loadConfig } from "./config.ts";
import { Core } from "./core.ts";
import { AppError, isAppError, toAppError } from "./errors.ts";
import { APP_VERSION } from "./http/assets.ts";
import { argsAfter, coreCommands, type CliIO } from "./cli/commands.ts";

const HELP = `odoodeck ${APP_VERSION} — a self-hosted control room for Odoo

Usage: odoodeck <command> [options]

Commands:
  serve                       start the web server (default)
  user add <name> [--role admin|operator|viewer] [--password-stdin]
  user passwd <name> [--password-stdin]
  user unlock <name>          let a user whose sign-ins wait (too many failures) try again
  user list
  audit [--actor A] [--action PREFIX] [--limit N] [--json]
  token add <name> --user U [--role R] [--instances a,b] [--tools read,backup] [--no-destructive]
  token list [--json] | token revoke <id>   API tokens (REST and MCP over HTTP)
  plugin list
  server add|test|list        servers odoodeck reaches (local or SSH)
  instance add|discover|list  Odoo instances on those servers
  op list | op <id> --help    operations (also as "odoodeck <plugin> <name>"), --json for the envelope
  mcp [--tools read,backup]   MCP server over stdio, as the local admin
  <plugin command> …          commands added by plugins (see "odoodeck help")

Options for every command:
  --data DIR                  data directory (default ./data, env ODOODECK_DATA)
Options for serve:
  --host H  --port P  --public-url URL  --log-level L  --session-ttl-hours N  --trust-proxy B  --plugins B
  --smtp-host H  --smtp-port P   the mail catcher's SMTP server (default 127.0.0.1:1025)
  -h, --help                  this help      -v, --version   print the version

Configuration precedence: flags > ODOODECK_* environment > <data>/odoodeck.toml > defaults.`;

/** Commands of the core whose --help is the global one. */
const CORE_COMMANDS = ["serve", "user", "audit", "plugin", "server", "instance", "mcp", "token"];

/** Splits argv into positionals and --flags (--k v, --k=v, bare --k = true). */
export function parseArgs(argv: string[]): {
  positionals: string[];
  flags: Record<string, string | boolean>;
} {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h") flags.help = true;
    else if (a === "-v") flags.version = true;
    else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (
        i + 1 < argv.length &&
        !argv[i + 1].startsWith("--") &&
        ![
          "help",
          "version",
          "json",
          "password-stdin",
          "follow",
          "yes",
          "allow-destructive",
          "no-destructive",
        ].includes(a.slice(2))
      )
        flags[a.slice(2)] = argv[++i];
      else flags[a.slice(2)] = true;
    } else positionals.push(a);
  }
  return { positionals, flags };
}

async function serve(flags: Record<string, string | boolean>): Promise<void> {
  for (const k of Object.keys(flags))
    if (!CONFIG_FLAGS.includes(k))
      throw new AppError("E_CONFIG", `Unknown option --${k}`, { hint: "See odoodeck --help" });
  const config = loadConfig(flags as Record<string, string>);
  const core = await Core.open(config);
  await core.startPlugins(builtinPlugins);
  const app = buildApp(core);
  let server: ReturnType<typeof Bun.serve>;
  try {
    // idleTimeout 0: SSE streams stay open; they send their own heartbeats.
    server = Bun.serve({
      hostname: config.host,
      port: config.port,
      ...core.vhosts.serveOptions(app.fetch, config.host),
      idleTimeout: 0,
      maxRequestBodySize: 1024 ** 4,
    });
  } catch (e) {
    await core.shutdown();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new AppError("E_CONFIG", `Port ${config.port} on ${config.host} is already in use`, {
        hint: "Stop the other process or start with --port <free port>",
      });
    if (code === "EACCES")
      throw new AppError("E_CONFIG", `Not allowed to listen on ${config.host}:${config.port}`, {
        hint: "Ports below 1024 need root; use a higher port",
      });
    throw e;
  }
  const base =
    config.publicUrl ??
    `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  console.log(`odoodeck ${APP_VERSION} listening on ${base} (data: ${config.dataDir})`);
  const setup = await ensureSetupLink(core, base);
  if (setup) console.log(`First start: open this one-time link to create the admin account:\n  ${setup}`);
  const disabled = core.host.records.filter((r) => r.status === "disabled");
  for (const r of disabled) console.log(`plugin ${r.id} disabled: ${r.reason}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.stop(true);
    await core.shutdown();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

async function main(argv: string[]): Promise<number> {
  const { positionals, flags } = parseArgs(argv);
  if (flags.version) {
    console.log(APP_VERSION);
    return 0;
  }
  const [cmd = "serve", ...rest] = positionals;
  // `op <id> --help` and `<plugin> <name> --help` are the command's own help (coreCommands).
  if (cmd === "help" || (flags.help && (positionals.length === 0 || CORE_COMMANDS.includes(cmd)))) {
    console.log(HELP);
    return 0;
  }
  if (cmd === "serve") {
    await serve(flags);
    return -1; // keep running
  }
  const io: CliIO = {
    out: (s) => console.log(s),
    err: (s) => console.error(s),
    readStdin: async () => (await Bun.stdin.text()).replace(/\r?\n$/, ""),
  };
  return coreCommands(cmd, rest, flags, io, argsAfter(argv, cmd));
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    // Bad input ends with one line and a code, never a stack trace.
    const err = toAppError(e);
    console.error(`odoodeck: ${err.message} [${err.code}]${err.hint ? `\n  hint: ${err.hint}` : ""}`);
    if (!isAppError(e) && process.env.ODOODECK_DEBUG) console.error(e);
    process.exit(err.code === "E_CONFIG" ? 78 : 1);
  },
);
