import { LEVELS } from "../parse/record.ts";

export interface SourceOption {
  key: string;
  label: string;
  detail: string;
}

/** The filter form: a GET form, so the URL it leads to reproduces the view (deep link). */
export function Filters(props: {
  action: string;
  sources: SourceOption[];
  source: string | null;
  q: URLSearchParams;
  submit: string;
  allSources?: boolean;
}) {
  const { q } = props;
  const v = (k: string) => q.get(k) ?? "";
  return (
    <form method="get" action={props.action} class="logs-filters" id="logs-filters">
      <label class="field logs-source">
        <span>Source</span>
        <select name="source">
          {props.allSources ? (
            <option value="all" selected={props.source === "all"}>
              All files (rotations included)
            </option>
          ) : null}
          {props.sources.map((s) => (
            <option value={s.key} selected={s.key === props.source}>
              {s.label}
              {s.detail ? ` (${s.detail})` : ""}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Level</span>
        <select name="level">
          <option value="">any</option>
          {LEVELS.map((l) => (
            <option value={l.toLowerCase()} selected={v("level").toUpperCase() === l}>
              {`≥ ${l}`}
            </option>
          ))}
        </select>
      </label>
      <label class="field logs-check">
        <input type="checkbox" name="only" value="1" checked={v("only") === "1"} />
        <span>only this level</span>
      </label>
      <label class="field">
        <span>Database</span>
        <input name="db" value={v("db")} placeholder="acme_prod" size={12} />
      </label>
      <label class="field">
        <span>Logger (prefix)</span>
        <input name="logger" value={v("logger")} placeholder="odoo.addons.base" size={18} />
      </label>
      <label class="field">
        <span>PID</span>
        <input name="pid" value={v("pid")} inputmode="numeric" size={7} />
      </label>
      <label class="field">
        <span>Text</span>
        <input type="search" name="q" value={v("q")} placeholder="contains…" size={18} />
      </label>
      <label class="field">
        <span>Regex</span>
        <input name="re" value={v("re")} placeholder="timeout|deadlock" size={16} />
      </label>
      <label class="field">
        <span>From (jump to time)</span>
        <input name="since" value={v("since")} placeholder="2026-11-22 20:30" size={16} />
      </label>
      <label class="field">
        <span>Until</span>
        <input name="until" value={v("until")} placeholder="2026-11-22 21:00" size={16} />
      </label>
      <label class="field logs-check">
        <input type="checkbox" name="access" value="0" checked={v("access") === "0"} />
        <span>hide HTTP access lines</span>
      </label>
      <div class="logs-apply">
        <button type="submit">{props.submit}</button>{" "}
        <a href={props.action} class="button secondary">
          Reset
        </a>
      </div>
    </form>
  );
}
