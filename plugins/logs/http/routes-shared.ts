import { type AppContext, AppError, type InstanceHandle } from "odoodeck/sdk";
import type { Ctx } from "./request.ts";
import { hasCondition, logsOf, viewRequest } from "./request.ts";
import type { LogsStore } from "../store.ts";
import type { LogFilter } from "../search/filter.ts";
import { recordLines } from "../parse/format.ts";
import { fileSources, type InstanceLogs, pickSource, recentFiles } from "../sources/instance-logs.ts";
import { assertLooksLikeLog } from "../sources/log-path-check.ts";
import { parseLogTime } from "../parse/parser.ts";
import { searchSources } from "../search/search-sources.ts";
import type { LogSource } from "../sources/sources.ts";
import { streamedResponse } from "./streams.ts";
import { type ErrorGroup, errorsSummary, groupErrors } from "../search/summary.ts";
import type { LogRecord } from "../parse/record.ts";

/**
 * What a search request (page or API) resolves to: the instance (of instanceRoute), its
 * filter, the files it covers and the result cap (`requested` may only lower the setting).
 */
export async function searchRequest(ctx: Ctx, store: LogsStore, c: AppContext, requested?: number) {
  const inst = c.var.instance;
  const req = viewRequest(c);
  if (!hasCondition(req.filter))
    throw new AppError("E_VALIDATION", "Give something to search for", {
      hint: "A text, a pattern, a level, a logger, a pid or a time range (q, re, level, db, logger, pid, since, until)",
    });
  const l = await logsOf(store, inst);
  const targets = searchTargets(l, req.source);
  const limit = (await ctx.settings()).search_max_results;
  return { inst, req, l, targets, max: Math.min(requested || limit, limit) };
}

/** The sources a search covers: "all" (or nothing) means every file, oldest rotation first. */
export function searchTargets(l: InstanceLogs, key: string | null): LogSource[] {
  if (!key || key === "all") {
    const files = fileSources(l);
    if (files.length) return files;
    const other = pickSource(l, null);
    return other ? [other] : [];
  }
  const one = pickSource(l, key);
  return one ? [one] : [];
}

/** The filtered view as text/plain, streamed (the whole source, not only the window on screen). */
export async function downloadResponse(
  c: AppContext,
  l: InstanceLogs,
  src: LogSource,
  filter: LogFilter,
): Promise<Response> {
  const ac = new AbortController();
  async function* chunks(): AsyncGenerator<string> {
    let buf = "";
    for await (const { record } of searchSources(l.conn, [src], filter, {
      max: Number.MAX_SAFE_INTEGER,
      signal: ac.signal,
    })) {
      buf += recordLines(record);
      if (buf.length >= 64 * 1024) {
        yield buf;
        buf = "";
      }
    }
    if (buf) yield buf;
  }
  const base = src.kind === "file" ? src.path.split("/").pop()! : src.kind;
  const name = `${l.inst.name}-${base}`.replace(/[^A-Za-z0-9._-]+/g, "_");
  return streamedResponse(c, ac, chunks(), {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Disposition": `attachment; filename="${name}${Object.keys(filter).length ? "-filtered" : ""}.log"`,
  });
}

/** The errors of a period: the last `hours`, or since a log time (as written in the log). */
export async function errorGroups(
  l: InstanceLogs,
  opts: { hours: number; since: string | null; signal?: AbortSignal },
): Promise<{ groups: ErrorGroup[]; files: string[] }> {
  const files = fileSources(l).map((s) => s.path);
  let groups: ErrorGroup[];
  if (opts.since) {
    const since = parseLogTime(opts.since);
    if (since === null)
      throw new AppError("E_VALIDATION", `"since" is not a time`, {
        hint: "Write it as 2026-11-22 20:30 or 2026-11-22T20:30:00",
      });
    const found: LogRecord[] = [];
    for await (const { record } of searchSources(
      l.conn,
      fileSources(l),
      { level: "ERROR", since },
      {
        max: 10_000,
        signal: opts.signal,
      },
    ))
      found.push(record);
    groups = groupErrors(found);
  } else {
    const recent = recentFiles(l, opts.hours);
    groups = recent.length
      ? await errorsSummary(l.conn, recent, { hours: opts.hours, signal: opts.signal })
      : [];
  }
  // Records are masked when parsed, so the groups (and their signatures) never hold a secret.
  return { files, groups };
}

export function hoursParam(c: AppContext, fallback: number): number {
  const raw = c.req.query("hours");
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 24 * 366)
    throw new AppError("E_VALIDATION", "hours must be a number between 1 and 8784", {
      hint: "e.g. 24 for the last day",
    });
  return n;
}

export async function sourceOf(store: LogsStore, inst: InstanceHandle, key: string | null) {
  const l: InstanceLogs = await logsOf(store, inst);
  const src = pickSource(l, key);
  if (!src)
    throw new AppError("E_NOT_FOUND", "This instance has no log odoodeck may read", {
      hint: "Set logfile in odoo.conf, or the instance's systemd service or docker container",
    });
  return { l, src };
}

const PATH_RE = /^\/[^\0]*$/;

/**
 * Adds an extra log path once it is known to be a log (the logs.add-path operation); the caller
 * records the audit entry. Answers the path as stored and whether it was new.
 */
export async function addExtraPath(
  ctx: Ctx,
  store: LogsStore,
  inst: InstanceHandle,
  raw: string,
  by: string,
) {
  const path = raw.trim();
  if (!PATH_RE.test(path) || path.split("/").includes("..") || path.length > 1000)
    throw new AppError("E_VALIDATION", "A log path must be absolute, without ..", {
      hint: "e.g. /var/log/odoo/odoo-worker.log",
    });
  // Every viewer of the instance may read it: refuse what is not a log (issue 14.8).
  await assertLooksLikeLog(await inst.connection(), path, ctx.dataDir);
  return { path, added: await store.addPath(inst.id, path, by) };
}

/** Removes an extra log path; E_NOT_FOUND when it is not one of the instance's. */
export async function removeExtraPath(store: LogsStore, instanceId: number, path: string): Promise<void> {
  if (!(await store.removePath(instanceId, path)))
    throw new AppError("E_NOT_FOUND", `${path} is not an extra log path of this instance`);
}
