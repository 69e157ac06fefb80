import { filterToQuery, type LogFilter } from "../search/filter.ts";

/** Where a view lives: the same source and filter give the same URL (deep links). */
export function viewQuery(source: string | null, f: LogFilter): URLSearchParams {
  const q = new URLSearchParams();
  if (source) q.set("source", source);
  for (const [k, v] of filterToQuery(f)) q.set(k, v);
  return q;
}

export function viewHref(base: string, source: string | null, f: LogFilter): string {
  const q = viewQuery(source, f).toString();
  return q ? `${base}?${q}` : base;
}

/**
 * Builds the links a record offers: click a logger or a pid to narrow to it; `at` (where the
 * file can be read from any byte: not a .gz, not a command) opens the unfiltered view at a record.
 */
export type LinkTo = ((patch: Partial<LogFilter>) => string) & { at?: (offset: number) => string };

export function linker(base: string, source: string | null, f: LogFilter): LinkTo {
  const link: LinkTo = (patch) => viewHref(base, source, { ...f, ...patch });
  if (!source?.endsWith(".gz") && source !== "journal" && source !== "docker")
    link.at = (offset) => {
      const q = viewQuery(source, {});
      q.set("at", String(offset));
      return `${base}?${q}`;
    };
  return link;
}
