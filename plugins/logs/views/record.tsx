import type { LogRecord } from "../parse/record.ts";
import type { LinkTo } from "../http/view-url.ts";

/**
 * One record as a line: time, a pid and a logger that narrow the view when clicked, the message,
 * and the traceback folded under it. JSX escapes everything: a `<script>` in a log stays text.
 * The record must already be masked.
 */
export function Rec(props: { r: LogRecord; link: LinkTo; mark?: boolean }) {
  const { r, link } = props;
  const cls = `lr lv-${r.level ?? "RAW"}${r.http ? " lr-http" : ""}${props.mark ? " lr-at" : ""}`;
  const cut = r.truncated ? <span class="lr-cut">[cut at 64 KiB]</span> : null;
  const more = r.continuation.length ? (
    <details class="lr-tb">
      <summary>
        {r.continuation.length} more line{r.continuation.length === 1 ? "" : "s"}
        {r.continuation.at(-1)?.trim() ? ` · ${r.continuation.at(-1)!.trim().slice(0, 200)}` : ""}
      </summary>
      <pre>{r.continuation.join("\n")}</pre>
    </details>
  ) : null;
  // The file line number, a link to the unfiltered view at this record (none when unknown).
  const n = r.line ? (
    link.at ? (
      <a class="lr-n" href={link.at(r.offset)}>
        {String(r.line)}
      </a>
    ) : (
      <span class="lr-n">{String(r.line)}</span>
    )
  ) : null;
  const line = r.line ? String(r.line) : undefined;
  if (r.raw)
    return (
      <div class={cls} data-offset={String(r.offset)} data-line={line}>
        {n}
        {n ? " " : null}
        <span class="lr-msg">{r.message}</span>
        {cut}
        {more}
      </div>
    );
  return (
    <div class={cls} data-offset={String(r.offset)} data-line={line}>
      {n}
      {n ? " " : null}
      <span class="lr-t">{r.time}</span>{" "}
      <a class="lr-pid" href={link({ pid: r.pid ?? undefined })}>
        {String(r.pid)}
      </a>{" "}
      <span class="lr-lv">{r.level}</span>{" "}
      {r.db ? (
        <a class="lr-db" href={link({ db: r.db })}>
          {r.db}
        </a>
      ) : (
        <span class="lr-db">?</span>
      )}{" "}
      <a class="lr-lg" href={link({ logger: r.logger ?? undefined })}>
        {r.logger}
      </a>
      : <span class="lr-msg">{r.message}</span>
      {cut}
      {more}
    </div>
  );
}

/** Records as an HTML string (for streamed answers and SSE events). */
export async function renderRecords(records: LogRecord[], link: LinkTo): Promise<string> {
  let out = "";
  for (const r of records) out += await (<Rec r={r} link={link} />).toString();
  return out;
}
