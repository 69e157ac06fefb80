import { ui } from "odoodeck/sdk";
import type { LogFilter } from "../search/filter.ts";
import { LEVELS } from "../parse/record.ts";
import type { ExtraPath } from "../store.ts";
import { type LinkTo, viewHref, viewQuery } from "../http/view-url.ts";
import type { LogWindow } from "../read/window.ts";
import { Filters, type SourceOption } from "./filters.tsx";
import { Rec } from "./record.tsx";

export interface Problem {
  code: string;
  message: string;
  hint?: string;
}

export function LogsNav(props: { base: string; active: "view" | "search" | "errors"; query?: string }) {
  const q = props.query ? `?${props.query}` : "";
  const tab = (key: typeof props.active, href: string, label: string) => (
    <a href={href} class={props.active === key ? "active" : ""}>
      {label}
    </a>
  );
  return (
    <nav class="logs-nav" aria-label="Logs">
      {tab("view", `${props.base}${q}`, "View & follow")}
      {tab("search", `${props.base}/search${q}`, "Search all files")}
      {tab("errors", `${props.base}/errors`, "Errors summary")}
    </nav>
  );
}

/** The URLs of the plugin's stylesheet and script (ctx.assets: content-hashed, cached a year). */
export interface AssetUrls {
  css: string;
  js: string;
}

export function Assets(props: { urls: AssetUrls }) {
  return (
    <>
      <link rel="stylesheet" href={props.urls.css} />
      <script src={props.urls.js} defer />
    </>
  );
}

const fmt = (n: number) => n.toLocaleString("en-US");

function Counts(props: { w: LogWindow; base: string; source: string | null; filter: LogFilter }) {
  const { w, filter } = props;
  const levels = [...LEVELS, "RAW"] as const;
  return (
    <p class="logs-counts" id="logs-counts">
      {levels.map((l) => {
        const active = l !== "RAW" && filter.level === l && filter.levelOnly;
        const href =
          l === "RAW" ? null : viewHref(props.base, props.source, { ...filter, level: l, levelOnly: true });
        // A level with no record yet stays in the markup, hidden: following may bring one.
        const hidden = w.counts[l] === 0 && l !== "ERROR" && l !== "WARNING" && l !== "INFO";
        const inner = (
          <>
            {l === "RAW" ? "no header" : l} <b data-count={String(w.counts[l])}>{fmt(w.counts[l])}</b>
          </>
        );
        return href ? (
          <a class={`lc lc-${l}${active ? " active" : ""}`} data-level={l} href={href} hidden={hidden}>
            {inner}
          </a>
        ) : (
          <span class={`lc lc-${l}`} data-level={l} hidden={hidden}>
            {inner}
          </span>
        );
      })}
    </p>
  );
}

function Scope(props: { w: LogWindow }) {
  const { w } = props;
  const read = ui.bytes(w.to - w.from);
  const where =
    w.mode === "command"
      ? "the last lines the command printed"
      : w.mode === "head"
        ? w.size === null
          ? `the first ${read} (decompressed); search reads all of it`
          : "the whole file"
        : w.from === 0 && w.to === w.size
          ? "the whole file"
          : w.mode === "from-time" || w.mode === "at"
            ? `${read} from the ${w.mode === "at" ? "line asked for" : "jump time"}${w.to < (w.size ?? 0) ? "; later lines: jump further or search" : ""}`
            : `the last ${read} of ${ui.bytes(w.size)}; older lines: jump to a time or search`;
  return (
    <p class="muted logs-scope" id="logs-scope" data-lines={String(w.lines)} data-records={String(w.total)}>
      {fmt(w.matched)} matching of {fmt(w.total)} records ({fmt(w.lines)} lines) in {where}
      {w.matched > w.records.length ? `; showing ${fmt(w.records.length)}` : ""}
      {w.earlier !== null ? " (scroll up for earlier records)" : ""}.
    </p>
  );
}

export function LogsPage(props: {
  base: string;
  assets: AssetUrls;
  sources: SourceOption[];
  /** The source shown, and the one the URL names (null: the default), for links. */
  source: string | null;
  sourceParam: string | null;
  q: URLSearchParams;
  filter: LogFilter;
  window: LogWindow | null;
  problem: Problem | null;
  confProblem: Problem | null;
  followUrl: string | null;
  /** The window above the one shown, when there is one. */
  earlierUrl: string | null;
  /** The byte offset a line number's link asked for: that record is marked. */
  at?: number;
  downloadUrl: string | null;
  link: LinkTo;
  admin: { extraPaths: ExtraPath[]; action: string } | null;
}) {
  const w = props.window;
  const query = props.q.toString();
  return (
    <div class="logs">
      <Assets urls={props.assets} />
      <LogsNav base={props.base} active="view" query={query} />
      {props.confProblem ? <ui.Flash kind="info" {...props.confProblem} /> : null}
      <Filters action={props.base} sources={props.sources} source={props.source} q={props.q} submit="Apply" />
      {props.problem ? <ui.Flash kind="error" {...props.problem} /> : null}
      {!props.sources.length && !props.problem ? (
        <ui.Empty title="No log to show">
          <p>
            This instance has no log file, service or container odoodeck may read. Set <code>logfile</code> in
            odoo.conf, or the instance's systemd service or docker container.
          </p>
        </ui.Empty>
      ) : null}
      {w ? (
        <>
          <div class="logs-bar">
            <Counts w={w} base={props.base} source={props.sourceParam} filter={props.filter} />
            <Scope w={w} />
            <p class="logs-actions">
              {props.downloadUrl ? <a href={props.downloadUrl}>Download this view</a> : null}
              {" · "}
              <a href={query ? `${props.base}?${query}` : props.base} id="logs-permalink">
                Link to this view
              </a>
            </p>
          </div>
          {props.followUrl ? (
            <div class="logs-toolbar">
              <button type="button" id="logs-follow" class="secondary" aria-pressed="true">
                Pause
              </button>{" "}
              <span id="logs-state" class="muted" aria-live="polite">
                connecting…
              </span>{" "}
              <label>
                <input type="checkbox" id="logs-autoscroll" checked /> auto-scroll
              </label>
            </div>
          ) : null}
          <div
            id="log-view"
            class="log-lines"
            data-follow-url={props.followUrl ?? undefined}
            data-tail={w.mode === "tail" || w.mode === "command" ? "1" : undefined}
          >
            {props.earlierUrl ? <Earlier url={props.earlierUrl} /> : null}
            {w.records.map((r) => (
              <Rec r={r} link={props.link} mark={r.offset === props.at} />
            ))}
          </div>
          <button type="button" id="logs-new" class="logs-new" hidden>
            new lines below ↓
          </button>
          {w.records.length === 0 ? (
            <p class="muted" id="logs-none">
              No record matches this view.
            </p>
          ) : null}
        </>
      ) : null}
      {props.admin ? <Paths {...props.admin} /> : null}
    </div>
  );
}

/** The sentinel row above the records: scrolled into view (or clicked), it loads the window above. */
export function Earlier(props: { url: string }) {
  return (
    <div class="lr-more" id="logs-earlier" data-url={props.url}>
      <button type="button" class="link">
        Load earlier records
      </button>
    </div>
  );
}

/** The URL of the window above `w` (same source and filter), or null when nothing is above. */
export function earlierUrl(base: string, source: string | null, filter: LogFilter, w: LogWindow | null) {
  if (!w || w.earlier === null || !w.file) return null;
  const q = viewQuery(source, filter);
  q.set("before", `${w.file}:${w.earlier}`);
  return `${base}/earlier?${q}`;
}

function Paths(props: { extraPaths: ExtraPath[]; action: string }) {
  return (
    <ui.Card title="Extra log files" class="logs-paths">
      <p class="muted">
        Besides odoo.conf's <code>logfile</code> and its rotations, these files of this instance may be read
        by everyone who may view it.
      </p>
      <ul class="plain">
        {props.extraPaths.map((p) => (
          <li>
            <code>{p.path}</code> <small class="muted">added by {p.addedBy}</small>{" "}
            <ui.Form action={`${props.action}/delete`} class="inline">
              <input type="hidden" name="path" value={p.path} />
              <button class="link">remove</button>
            </ui.Form>
          </li>
        ))}
      </ul>
      <ui.Form action={props.action} class="row">
        <input name="path" placeholder="/var/log/odoo/odoo-worker.log" required size={40} />
        <button>Add log file</button>
      </ui.Form>
    </ui.Card>
  );
}
