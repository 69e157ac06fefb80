import {
  type AppContext,
  type AppError,
  type InstanceHandle,
  type PluginContext,
  toAppError,
  ui,
} from "odoodeck/sdk";
import { filterFromQuery, type LogFilter } from "../search/filter.ts";
import { type InstanceLogs, instanceLogs, sourceKey, sourceLabel } from "../sources/instance-logs.ts";
import type { LogsSettings } from "../settings.ts";
import type { LogsStore } from "../store.ts";
import type { SourceOption } from "../views/filters.tsx";

export type Ctx = PluginContext<LogsSettings>;

export interface ViewRequest {
  q: URLSearchParams;
  /** The source asked for (null: the default one). */
  source: string | null;
  filter: LogFilter;
}

export function viewRequest(c: AppContext): ViewRequest {
  const q = new URL(c.req.url).searchParams;
  return { q, source: q.get("source") || null, filter: filterFromQuery(q) };
}

/** Like viewRequest, but a bad filter becomes a message on the page instead of an error page. */
export function lenientViewRequest(
  c: AppContext,
): ViewRequest & { problem: ReturnType<AppError["toJSON"]> | null } {
  const q = new URL(c.req.url).searchParams;
  try {
    return { ...viewRequest(c), problem: null };
  } catch (e) {
    const err = toAppError(e);
    if (err.code !== "E_VALIDATION") throw err;
    return { q, source: q.get("source") || null, filter: {}, problem: err.toJSON() };
  }
}

export async function logsOf(store: LogsStore, inst: InstanceHandle): Promise<InstanceLogs> {
  return instanceLogs(store, inst);
}

export function sourceOptions(l: InstanceLogs): SourceOption[] {
  return l.sources.map((s) => ({
    key: sourceKey(s),
    label: sourceLabel(s),
    detail:
      s.kind === "file"
        ? `${s.path === l.cfg.logfile ? "live, " : ""}${ui.bytes(s.size)}${s.compressed ? ", gzip" : ""}`
        : "",
  }));
}

/** True when the filter narrows anything (a search needs at least one condition). */
export function hasCondition(f: LogFilter): boolean {
  return Object.keys(f).length > 0;
}
