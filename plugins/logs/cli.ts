/** `odoodeck logs <instance> [-f] [--level …] [--grep …] [--since …]`: the page's view on a terminal. */
import { AppError, type CliCommand, type PluginContext } from "odoodeck/sdk";
import { filterFromQuery } from "./search/filter.ts";
import { recordJson, recordLines } from "./parse/format.ts";
import { pickSource } from "./sources/instance-logs.ts";
import { logsOf } from "./http/request.ts";
import { scannerOf } from "./search/scanner.ts";
import type { LogsSettings } from "./settings.ts";
import { LogsStore } from "./store.ts";
import { followSource } from "./follow/follow-source.ts";
import { compileFilter } from "./search/filter.ts";
import { readWindow } from "./read/window.ts";

const USAGE =
  "logs <instance> [-f] [--source PATH|journal|docker] [--level L] [--only] [--db D] [--logger L] [--pid N] [--grep TEXT] [--regex RE] [--since T] [--until T] [--no-access] [-n N] [--json]";

/** Options that take no value. */
const BOOLEAN = new Set(["f", "follow", "only", "no-access", "json"]);
/** CLI names → the query parameters of the page (one filter grammar for both). */
const QUERY: Record<string, string> = {
  level: "level",
  db: "db",
  logger: "logger",
  pid: "pid",
  grep: "q",
  regex: "re",
  since: "since",
  until: "until",
};

export interface LogsArgs {
  instance: string | undefined;
  follow: boolean;
  json: boolean;
  lines: number | null;
  source: string | null;
  query: URLSearchParams;
}

export function parseLogsArgs(argv: string[]): LogsArgs {
  const pos: string[] = [];
  const opt: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([a-z][a-z-]*)(?:=(.*))?$/.exec(a);
    if (!m) {
      pos.push(a);
      continue;
    }
    const [, name, inline] = m;
    if (inline !== undefined) opt[name] = inline;
    else if (BOOLEAN.has(name)) opt[name] = true;
    else if (i + 1 < argv.length) opt[name] = argv[++i];
    else throw new AppError("E_VALIDATION", `--${name} needs a value`, { hint: `Usage: odoodeck ${USAGE}` });
  }
  const query = new URLSearchParams();
  for (const [name, key] of Object.entries(QUERY))
    if (typeof opt[name] === "string") query.set(key, opt[name] as string);
  if (opt.only) query.set("only", "1");
  if (opt["no-access"]) query.set("access", "0");
  const n = opt.n ?? opt.lines;
  if (n !== undefined && !/^\d+$/.test(String(n)))
    throw new AppError("E_VALIDATION", "-n takes a number of records", { hint: "e.g. -n 200" });
  return {
    instance: pos[0],
    follow: !!(opt.f || opt.follow),
    json: !!opt.json,
    lines: n === undefined ? null : Number(n),
    source: typeof opt.source === "string" ? opt.source : null,
    query,
  };
}

async function instanceByRef(ctx: PluginContext, ref: string | undefined) {
  if (!ref)
    throw new AppError("E_VALIDATION", "Give an instance id or name", { hint: `Usage: odoodeck ${USAGE}` });
  if (/^\d+$/.test(ref)) return ctx.instances.get(Number(ref));
  const found = (await ctx.instances.list()).find((i) => i.name === ref);
  if (!found)
    throw new AppError("E_NOT_FOUND", `No instance named ${ref}`, {
      hint: "odoodeck instance list shows them",
    });
  return found;
}

export const logsCli: CliCommand[] = [
  {
    name: "logs",
    summary: "Show (and follow with -f) an instance's log, filtered like the Logs page",
    usage: USAGE,
    async run(args, ctx0) {
      const ctx = ctx0 as unknown as PluginContext<LogsSettings>;
      // A long -f must not scan in this process: the server does that.
      await scannerOf(ctx).stopLoop();
      const a = parseLogsArgs(args);
      const filter = filterFromQuery(a.query);
      const inst = await instanceByRef(ctx, a.instance);
      const settings = await ctx.settings();
      const l = await logsOf(new LogsStore(ctx.db), inst);
      const src = pickSource(l, a.source);
      if (!src)
        throw new AppError("E_NOT_FOUND", `${inst.name} has no log odoodeck may read`, {
          hint: "Set logfile in odoo.conf, or the instance's systemd service or docker container",
        });
      const print = (r: Parameters<typeof recordLines>[0]) =>
        process.stdout.write(a.json ? `${JSON.stringify(recordJson(r))}\n` : recordLines(r));
      const w = await readWindow(l.conn, src, {
        filter,
        maxRecords: a.lines ?? (a.follow ? 20 : 100),
        maxBytes: settings.window_mb * 1024 * 1024,
      });
      for (const r of w.records) print(r);
      if (!a.follow) {
        if (w.matched > w.records.length && !a.json)
          process.stderr.write(
            `(${w.matched - w.records.length} earlier matching records not shown: -n N shows more)\n`,
          );
        return 0;
      }
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const match = compileFilter(filter);
      try {
        for await (const ev of followSource(l.conn, src, { cursor: w.cursor, signal: ac.signal })) {
          if (ev.type === "records") {
            for (const r of ev.records) if (match(r)) print(r);
          } else if (ev.type !== "started") process.stderr.write(`[${ev.type}]\n`);
        }
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
      return 0;
    },
  },
];
