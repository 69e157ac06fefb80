import type { InstanceHandle } from "odoodeck/sdk";
import { recordJson } from "../parse/format.ts";
import { readWindow } from "../read/window.ts";
import type { LogFilter } from "../search/filter.ts";
import { searchSources } from "../search/search-sources.ts";
import { sourceKey, sourceLabel } from "../sources/instance-logs.ts";
import type { LogsStore } from "../store.ts";
import { type Ctx, logsOf } from "./request.ts";
import { errorGroups, sourceOf } from "./routes-shared.ts";

/**
 * The JSON answers the REST routes and the declared operations share, so `GET /api/v1/logs/…`
 * and `POST /api/v1/ops/logs.*` (CLI, MCP) cannot say different things.
 */

/** The instance's log sources: the conf's logfile, its rotations, the extra paths, journald/docker. */
export async function sourcesAnswer(store: LogsStore, inst: InstanceHandle) {
  const l = await logsOf(store, inst);
  return {
    logfile: l.cfg.logfile ?? null,
    confProblem: l.confProblem,
    extraPaths: await store.extraPaths(inst.id),
    sources: l.sources.map((s) => ({ key: sourceKey(s), label: sourceLabel(s), ...s })),
  };
}

/** The newest records matching the filter (`limit` may lower or raise the setting, up to 100,000). */
export async function recordsAnswer(
  ctx: Ctx,
  store: LogsStore,
  inst: InstanceHandle,
  q: { source: string | null; filter: LogFilter; limit?: number; signal?: AbortSignal },
) {
  const settings = await ctx.settings();
  const { l, src } = await sourceOf(store, inst, q.source);
  const maxRecords =
    q.limit === undefined ? settings.max_records : Math.max(1, Math.min(q.limit || 0, 100_000));
  const w = await readWindow(l.conn, src, {
    filter: q.filter,
    maxRecords,
    maxBytes: settings.window_mb * 1024 * 1024,
    signal: q.signal,
  });
  return { source: sourceKey(src), ...w, records: w.records.map(recordJson) };
}

/** The error groups of the last `hours` (or since a log time) and the background scan's last run. */
export async function errorsAnswer(
  store: LogsStore,
  inst: InstanceHandle,
  q: { hours: number; since: string | null; signal?: AbortSignal },
) {
  const l = await logsOf(store, inst);
  const r = await errorGroups(l, q);
  return { hours: q.since ? null : q.hours, since: q.since, ...r, lastScan: await store.lastScan(inst.id) };
}

/** Every match of a search, collected (the NDJSON route streams the same records as it finds them). */
export async function searchAnswer(
  l: Awaited<ReturnType<typeof logsOf>>,
  targets: Parameters<typeof searchSources>[1],
  filter: LogFilter,
  max: number,
  signal?: AbortSignal,
) {
  const records: Array<{ source: string; record: ReturnType<typeof recordJson> }> = [];
  for await (const { source, record } of searchSources(l.conn, targets, filter, { max, signal }))
    records.push({ source: sourceKey(source), record: recordJson(record) });
  return { sources: targets.map(sourceKey), count: records.length, limited: records.length >= max, records };
}
