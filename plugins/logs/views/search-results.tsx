import { toAppError } from "odoodeck/sdk";
import { sourceKey } from "../sources/instance-logs.ts";
import type { LogRecord } from "../parse/record.ts";
import type { LogSource } from "../sources/sources.ts";
import type { LinkTo } from "../http/view-url.ts";
import { Rec } from "./record.tsx";

/** Separates streamed chunks; never inside one (control characters in logs are replaced). */
export const SEP = "\u001e";

/**
 * Search results as HTML chunks for the search page's script to append as they arrive: a
 * heading per file, one record per chunk, then how many (or why it stopped).
 */
export async function* searchResultChunks(
  found: AsyncGenerator<{ source: LogSource; record: LogRecord }>,
  opts: { files: number; max: number; signal: AbortSignal; link: (sourceKey: string) => LinkTo },
): AsyncGenerator<string> {
  yield `<p class="search-start" data-files="${opts.files}"></p>${SEP}`;
  let n = 0;
  let current: string | null = null;
  try {
    for await (const { source, record } of found) {
      const key = sourceKey(source);
      const head = key === current ? "" : await (<h3 class="sr-src">{key}</h3>).toString();
      current = key;
      n++;
      yield `${head}${await (<Rec r={record} link={opts.link(key)} />).toString()}${SEP}`;
    }
    const limited = n >= opts.max;
    yield `${await (
      <p class="search-done" data-count={String(n)} data-limited={limited ? "1" : "0"}>
        {n} result{n === 1 ? "" : "s"}
        {limited ? ` (stopped at ${opts.max})` : ""}.
      </p>
    ).toString()}${SEP}`;
  } catch (e) {
    if (opts.signal.aborted) return;
    const err = toAppError(e);
    yield `${await (
      <div class="flash flash-error search-failed" data-code={err.code}>
        <strong>{err.message}</strong> <code>{err.code}</code>
        {err.hint ? <p>{err.hint}</p> : null}
      </div>
    ).toString()}${SEP}`;
  }
}
