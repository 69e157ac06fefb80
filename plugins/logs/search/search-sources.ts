import type { Connection } from "odoodeck/sdk";
import { readRecords } from "../parse/assembler.ts";
import { compileFilter, type LogFilter } from "./filter.ts";
import type { LogRecord } from "../parse/record.ts";
import { searchFile } from "./search.ts";
import { type LogSource, sourceCommand } from "../sources/sources.ts";
import { mergeStderr } from "../read/window.ts";

/** The most lines asked of journald or docker when searching them (they have no grep pushdown). */
const COMMAND_LINES = 100_000;

/** Searches several sources in turn (oldest rotation first), up to `max` records in all. */
export async function* searchSources(
  conn: Connection,
  sources: LogSource[],
  filter: LogFilter,
  opts: { max: number; signal?: AbortSignal },
): AsyncGenerator<{ source: LogSource; record: LogRecord }> {
  let n = 0;
  for (const source of sources) {
    if (opts.signal?.aborted) return;
    const records =
      source.kind === "file"
        ? searchFile(conn, source.path, { filter, maxResults: opts.max - n, signal: opts.signal })
        : commandRecords(conn, source, filter, opts.signal);
    for await (const record of records) {
      yield { source, record };
      if (++n >= opts.max) return;
    }
  }
}

async function* commandRecords(
  conn: Connection,
  src: Exclude<LogSource, { kind: "file" }>,
  filter: LogFilter,
  signal?: AbortSignal,
): AsyncGenerator<LogRecord> {
  const match = compileFilter(filter);
  const proc = conn.spawn(mergeStderr(sourceCommand(src, { lines: COMMAND_LINES })), { signal });
  try {
    for await (const r of readRecords(proc.stdout, { signal })) if (match(r)) yield r;
  } finally {
    proc.kill("SIGKILL");
  }
}
