import { ui } from "odoodeck/sdk";
import { Filters, type SourceOption } from "./filters.tsx";
import { Assets, type AssetUrls, LogsNav } from "./logs-page.tsx";

/**
 * Search over whole files, rotations and .gz included. Results stream into the page from
 * `streamUrl` (logs.js reads the answer as it arrives); Cancel aborts the request, which stops
 * grep on the server.
 */
export function SearchPage(props: {
  base: string;
  assets: AssetUrls;
  sources: SourceOption[];
  source: string | null;
  q: URLSearchParams;
  streamUrl: string | null;
  max: number;
}) {
  return (
    <div class="logs">
      <Assets urls={props.assets} />
      <LogsNav base={props.base} active="search" query={props.q.toString()} />
      <Filters
        action={`${props.base}/search`}
        sources={props.sources}
        source={props.source}
        q={props.q}
        submit="Search"
        allSources
      />
      {props.streamUrl ? (
        <ui.Card>
          <div class="logs-toolbar">
            <button type="button" id="search-cancel" class="secondary">
              Cancel
            </button>{" "}
            <span id="search-state" class="muted" aria-live="polite">
              searching…
            </span>
          </div>
          <p class="muted">The first {props.max.toLocaleString("en-US")} matching records, in file order.</p>
          <div id="search-results" class="log-lines" data-stream-url={props.streamUrl} />
        </ui.Card>
      ) : (
        <p class="muted">Give a text, a pattern or another filter, then Search.</p>
      )}
    </div>
  );
}
