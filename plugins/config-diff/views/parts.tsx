import { ui } from "odoodeck/sdk";
import type { DiffEntry } from "../diff.ts";
import type { Finding } from "../findings.ts";

/** Renders a value or "not set"; values reach here already masked. */
export function Value(props: { v: string | null | undefined }) {
  if (props.v == null) return <span class="muted">not set</span>;
  if (props.v === "") return <span class="muted">(empty)</span>;
  return <code class="mono">{props.v}</code>;
}

const STATUS: Record<DiffEntry["status"], { label: string; kind: "ok" | "warn" | "info" | "muted" }> = {
  same: { label: "same", kind: "muted" },
  changed: { label: "changed", kind: "warn" },
  "only-left": { label: "only left", kind: "info" },
  "only-right": { label: "only right", kind: "info" },
};

export function DiffTable(props: {
  rows: DiffEntry[];
  left: string;
  right: string;
  id: string;
  empty: string;
}) {
  return (
    <ui.Table
      id={props.id}
      rows={props.rows}
      empty={props.empty}
      columns={[
        { label: "Key", render: (r) => <code class="mono">{r.key}</code> },
        {
          label: props.left,
          render: (r) => (r.status === "only-right" ? <span class="muted">—</span> : <Value v={r.left} />),
        },
        {
          label: props.right,
          render: (r) => (r.status === "only-left" ? <span class="muted">—</span> : <Value v={r.right} />),
        },
        {
          label: "Status",
          render: (r) => (
            <span data-status={r.status} data-key={r.key}>
              <ui.Badge kind={STATUS[r.status].kind}>{STATUS[r.status].label}</ui.Badge>{" "}
              {r.expected ? <ui.Badge kind="muted">expected</ui.Badge> : null}{" "}
              {r.secret ? <ui.Badge kind="muted">secret</ui.Badge> : null}
            </span>
          ),
        },
      ]}
    />
  );
}

const SEVERITY = { high: "error", medium: "warn", low: "info" } as const;

export function Findings(props: { findings: Finding[] }) {
  return (
    <ui.Card title={`Findings (${props.findings.length})`} id="findings">
      {props.findings.length ? (
        <ul class="stack">
          {props.findings.map((f) => (
            <li data-finding={f.id}>
              <ui.Badge kind={SEVERITY[f.severity]}>{f.severity}</ui.Badge> <strong>{f.message}</strong>
              <br />
              <small class="muted">{f.reason}</small>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No risky setting found.</p>
      )}
    </ui.Card>
  );
}
