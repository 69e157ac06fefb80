/**
 * The logs plugin's operations: declared once, served on REST (`POST /api/v1/ops/logs.*`), the
 * CLI (`odoodeck op logs.records …`) and MCP by the core's executor (role, instance, input,
 * audit). They answer what the JSON routes under /api/v1/logs answer (http/answers.ts). Download
 * and follow stay plain routes: a file and a live stream are not one JSON answer.
 */
import { AppError, defineOperation, z } from "odoodeck/sdk";
import { errorsAnswer, recordsAnswer, searchAnswer, sourcesAnswer } from "./http/answers.ts";
import { type Ctx, hasCondition, logsOf } from "./http/request.ts";
import { addExtraPath, removeExtraPath, searchTargets } from "./http/routes-shared.ts";
import type { ErrorScanner } from "./search/scanner.ts";
import { filterFromQuery, type LogFilter } from "./search/filter.ts";
import type { LogsStore } from "./store.ts";

/** The filter fields, named as in the pages' and the API's query strings. */
const filterFields = {
  source: z
    .string()
    .min(1)
    .optional()
    .describe('A source key from logs.sources (default: the live log; "all" for a search)'),
  level: z
    .string()
    .optional()
    .describe("Records at this level or above: debug, info, warning, error, critical"),
  only: z.boolean().optional().describe("Exactly that level, not above"),
  db: z.string().optional().describe("Database name in the record's header"),
  logger: z.string().optional().describe("Logger prefix, e.g. odoo.addons.base"),
  pid: z.number().int().positive().optional().describe("Process id"),
  q: z.string().optional().describe("Text, case-insensitive, anywhere in the record"),
  re: z.string().optional().describe("Regular expression (JavaScript, case-insensitive)"),
  since: z.string().optional().describe("Log time, e.g. 2026-11-22 20:30"),
  until: z.string().optional().describe("Log time (exclusive)"),
  access: z.boolean().optional().describe("false hides werkzeug access lines"),
};
type FilterInput = { [K in keyof typeof filterFields]?: z.infer<(typeof filterFields)[K]> };

/** The same validation (and messages) as a query string: the input becomes one and is read as one. */
function filterOf(input: FilterInput): LogFilter {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(input))
    if (k !== "source" && v !== undefined)
      q.set(k, k === "only" ? (v ? "1" : "0") : v === false ? "0" : String(v));
  return filterFromQuery(q);
}

export function declareLogsOperations(ctx: Ctx, store: LogsStore, scanner: ErrorScanner): void {
  ctx.operations.declare(
    defineOperation({
      id: "logs.sources",
      title: "List log sources",
      description:
        "The instance's logs odoodeck may read: odoo.conf's logfile and its rotations, extra paths, journald or docker.",
      input: z.object({}),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["logs"],
      run: async (op) => sourcesAnswer(store, op.instance!),
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "logs.records",
      title: "Read log records",
      description:
        "The newest records of one source that match the filter (a window, as the Logs page shows), with level counts over the whole source.",
      input: z.object({
        ...filterFields,
        limit: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .optional()
          .describe("How many records at most (default: the plugin's setting)"),
      }),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["logs"],
      run: async (op, { source, limit, ...f }) =>
        recordsAnswer(ctx, store, op.instance!, {
          source: source ?? null,
          filter: filterOf(f),
          limit,
          signal: op.signal,
        }),
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "logs.search",
      title: "Search the logs",
      description:
        'Every record that matches, across all log files (rotations and gzip included) or one source; at least one condition. Capped by the plugin\'s "search_max_results".',
      input: z.object({
        ...filterFields,
        max: z
          .number()
          .int()
          .min(1)
          .optional()
          .describe("How many results at most (never above the setting)"),
      }),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["logs"],
      async run(op, { source, max, ...f }) {
        const filter = filterOf(f);
        if (!hasCondition(filter))
          throw new AppError("E_VALIDATION", "Give something to search for", {
            hint: "A text, a pattern, a level, a logger, a pid or a time range (q, re, level, db, logger, pid, since, until)",
          });
        const l = await logsOf(store, op.instance!);
        const cap = (await ctx.settings()).search_max_results;
        return searchAnswer(
          l,
          searchTargets(l, source ?? null),
          filter,
          Math.min(max ?? cap, cap),
          op.signal,
        );
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "logs.errors-summary",
      title: "Summarise log errors",
      description:
        "ERROR and CRITICAL records of the last hours (or since a log time) grouped by signature, with counts and first/last seen.",
      input: z.object({
        hours: z
          .number()
          .positive()
          .max(24 * 366)
          .optional()
          .describe("Default: the plugin's scan_hours"),
        since: z.string().min(1).optional().describe("Log time instead of hours, e.g. 2026-11-22 20:30"),
      }),
      role: "viewer",
      scope: "instance",
      danger: "safe",
      tags: ["logs"],
      async run(op, input) {
        const hours = input.hours ?? (await ctx.settings()).scan_hours;
        return errorsAnswer(store, op.instance!, { hours, since: input.since ?? null, signal: op.signal });
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "logs.scan",
      title: "Scan for new errors",
      description:
        "Looks for error signatures not seen before now, as the background loop does (announces logs.new_error), and says what was new.",
      input: z.object({}),
      role: "operator",
      scope: "instance",
      danger: "mutating",
      tags: ["logs"],
      async run(op) {
        const r = await scanner.scanInstance(op.instance!, op.signal);
        // As the route: a log that could not be read is the scan's answer (error), not a failure.
        op.audit({
          errors: r.errors,
          kinds: r.kinds,
          new: r.newKinds,
          ...(r.error ? { error: r.error } : {}),
        });
        return r;
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "logs.add-path",
      title: "Add a log path",
      description:
        "Makes another log file of the instance readable by its viewers (e.g. a worker's log). Refused unless it is an Odoo log outside odoodeck's data and system credentials.",
      input: z.object({ path: z.string().min(1).describe("Absolute path on the instance's server") }),
      role: "admin",
      scope: "instance",
      danger: "mutating",
      tags: ["logs"],
      async run(op, input) {
        const { path, added } = await addExtraPath(ctx, store, op.instance!, input.path, op.actor);
        op.audit({ target: path, added });
        return { path, added, extraPaths: await store.extraPaths(op.instance!.id) };
      },
    }),
  );
  ctx.operations.declare(
    defineOperation({
      id: "logs.remove-path",
      title: "Remove a log path",
      description:
        "Viewers can no longer read that extra log file through odoodeck; the file is not touched.",
      input: z.object({ path: z.string().min(1).describe("One of the instance's extra paths") }),
      role: "admin",
      scope: "instance",
      danger: "mutating",
      tags: ["logs"],
      async run(op, input) {
        op.audit({ target: input.path });
        await removeExtraPath(store, op.instance!.id, input.path);
        return { extraPaths: await store.extraPaths(op.instance!.id) };
      },
    }),
  );
}
