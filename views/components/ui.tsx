import type { Child, PropsWithChildren } from "hono/jsx";
import { useView } from "../request-context.ts";

/** A POST form that always carries the CSRF token. Use `hx-post` etc. through `attrs`. */
export function Form(
  props: PropsWithChildren<{
    action: string;
    method?: "post" | "get";
    class?: string;
    attrs?: Record<string, string>;
    id?: string;
    enctype?: "multipart/form-data" | "application/x-www-form-urlencoded";
  }>,
) {
  const { csrf } = useView();
  const method = props.method ?? "post";
  return (
    <form
      action={props.action}
      method={method}
      class={props.class}
      id={props.id}
      enctype={props.enctype}
      {...(props.attrs ?? {})}
    >
      {method === "post" && csrf ? <input type="hidden" name="_csrf" value={csrf} /> : null}
      {props.children}
    </form>
  );
}

export function Field(props: {
  label: string;
  name: string;
  type?: string;
  value?: string | number;
  required?: boolean;
  hint?: string;
  placeholder?: string;
  autocomplete?: string;
  min?: number;
  max?: number;
  pattern?: string;
}) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <input
        name={props.name}
        type={props.type ?? "text"}
        value={props.value === undefined ? undefined : String(props.value)}
        required={props.required}
        placeholder={props.placeholder}
        autocomplete={props.autocomplete}
        min={props.min}
        max={props.max}
        pattern={props.pattern}
      />
      {props.hint ? <small>{props.hint}</small> : null}
    </label>
  );
}

export function Select(props: {
  label: string;
  name: string;
  options: Array<string | { value: string; label: string }>;
  value?: string;
  hint?: string;
}) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <select name={props.name}>
        {props.options.map((o) => {
          const v = typeof o === "string" ? o : o.value;
          return (
            <option value={v} selected={v === props.value}>
              {typeof o === "string" ? o : o.label}
            </option>
          );
        })}
      </select>
      {props.hint ? <small>{props.hint}</small> : null}
    </label>
  );
}

export function Card(
  props: PropsWithChildren<{ title?: Child; class?: string; actions?: Child; id?: string }>,
) {
  return (
    <section class={`card ${props.class ?? ""}`} id={props.id}>
      {props.title || props.actions ? (
        <header class="card-head">
          {props.title ? <h2>{props.title}</h2> : <span />}
          {props.actions ? <div class="actions">{props.actions}</div> : null}
        </header>
      ) : null}
      {props.children}
    </section>
  );
}

export function Flash(props: {
  kind: "ok" | "error" | "info";
  message: string;
  hint?: string;
  code?: string;
}) {
  return (
    <div class={`flash flash-${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      <strong>{props.message}</strong>
      {props.code ? <code class="code">{props.code}</code> : null}
      {props.hint ? <p>{props.hint}</p> : null}
    </div>
  );
}

export function Badge(
  props: PropsWithChildren<{ kind?: "ok" | "warn" | "error" | "muted" | "info"; icon?: boolean }>,
) {
  const kind = props.kind ?? "muted";
  return (
    <span class={`badge badge-${kind}`}>
      {props.icon ? <StatusIcon kind={kind} /> : null}
      {props.children}
    </span>
  );
}

export function Empty(props: PropsWithChildren<{ title: string }>) {
  return (
    <div class="empty">
      <p>
        <strong>{props.title}</strong>
      </p>
      {props.children}
    </div>
  );
}

export function Table<T>(props: {
  rows: T[];
  columns: Array<{ label: string; render: (row: T) => Child; class?: string }>;
  empty?: string;
  id?: string;
}) {
  if (!props.rows.length) return <p class="muted">{props.empty ?? "Nothing here yet."}</p>;
  return (
    <div class="table-wrap">
      <table id={props.id}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th class={c.class}>{c.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr>
              {props.columns.map((c) => (
                <td class={c.class}>{c.render(r)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Progress(props: { percent?: number | null; label?: string }) {
  const p = props.percent == null ? null : Math.max(0, Math.min(100, props.percent));
  return (
    <div
      class="progress"
      role="progressbar"
      aria-valuenow={p ?? undefined}
      aria-valuemin={0}
      aria-valuemax={100}
    >
      <div
        class={p == null ? "bar indeterminate" : "bar"}
        style={p == null ? undefined : `width:${p.toFixed(1)}%`}
      />
      {props.label ? <span>{props.label}</span> : null}
    </div>
  );
}

/** "3 min ago", with the exact time as a tooltip. */
export function Time(props: { at: string | null | undefined }) {
  if (!props.at) return <span class="muted">never</span>;
  return (
    <time datetime={props.at} title={props.at}>
      {relativeTime(props.at)}
    </time>
  );
}

export function relativeTime(iso: string, now = Date.now()): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  const abs = Math.abs(s);
  const fmt = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  const text =
    abs < 60
      ? fmt(abs, "second")
      : abs < 3600
        ? fmt(Math.round(abs / 60), "minute")
        : abs < 86400
          ? fmt(Math.round(abs / 3600), "hour")
          : fmt(Math.round(abs / 86400), "day");
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

export function bytes(n: number | null | undefined): string {
  if (n == null || !Number.isFinite(n)) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Shapes differ as well as colours, so the status reads without colour vision or emoji fonts. */
const ICON_PATHS = {
  ok: "M4 8.5l2.5 2.5L12 5.5",
  warn: "M8 4v5M8 11.5v.5",
  error: "M5 5l6 6M11 5l-6 6",
  info: "M8 7v5M8 4.5v.5",
  muted: "M5 8h6",
} as const;

/**
 * A status icon as inline SVG (emoji render as empty boxes on servers without emoji fonts).
 * @example <StatusIcon kind="ok" label="verified" />
 */
export function StatusIcon(props: { kind: keyof typeof ICON_PATHS; label?: string }) {
  return (
    <svg
      class={`icon icon-${props.kind}`}
      viewBox="0 0 16 16"
      width="14"
      height="14"
      role={props.label ? "img" : undefined}
      aria-label={props.label}
      aria-hidden={props.label ? undefined : "true"}
    >
      <circle cx="8" cy="8" r="7.2" />
      <path d={ICON_PATHS[props.kind]} />
    </svg>
  );
}

/** The production marker: a calm label, not an alarm (production is a fact, not a fault). */
export function ProdMarker() {
  return (
    <span class="badge badge-prod" title="Marked production: restores over it need an admin and a typed name">
      production
    </span>
  );
}

export { OperationSteps, STATUS_KIND, StatusBadge, type StepView, statusKind } from "./status-badge.tsx";
