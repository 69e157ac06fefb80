import { Badge, bytes, Flash, Form, Table } from "../../../views/components/ui.tsx";
import type { ServerProbe } from "../../instances/server-probe.ts";

const yes = (ok: boolean, label = ok ? "yes" : "no") => <Badge kind={ok ? "ok" : "error"}>{label}</Badge>;

/** The “Test connection” answer: an htmx fragment and part of the server page. */
export function ProbeReport(props: { serverId: number; probe: ServerProbe; admin: boolean }) {
  const p = props.probe;
  return (
    <div class="stack" id="probe-report">
      {p.error ? (
        <Flash kind="error" message={p.error.message} hint={p.error.hint} code={p.error.code} />
      ) : null}
      {p.error?.code === "E_HOSTKEY_MISMATCH" ? (
        <div class="stack hostkey-mismatch">
          <p>
            Expected (pinned): <code class="mono">{p.error.expected}</code>
            <br />
            Presented now: <code class="mono">{p.error.presented}</code>
          </p>
          {props.admin ? (
            <Form action={`/servers/${props.serverId}/accept-key`} class="inline">
              <button
                class="danger"
                data-confirm="Only accept the new key if you know why it changed (server reinstalled, key rotated). Accept it?"
              >
                Accept new key
              </button>
            </Form>
          ) : (
            <p class="muted">An admin must accept the new key.</p>
          )}
        </div>
      ) : null}
      <Table
        id="probe"
        rows={[
          ["Reachable", yes(p.reachable)],
          ["Authentication", yes(p.authOk, p.authOk ? "ok" : "failed")],
          [
            "Host key",
            p.fingerprint ? <code class="mono">{p.fingerprint}</code> : <span class="muted">—</span>,
          ],
          ["Round trip", p.latencyMs == null ? "—" : `${p.latencyMs} ms`],
          ["OS", p.os ?? "—"],
          ["Distribution", p.distribution ?? "—"],
        ]}
        columns={[
          { label: "Check", render: (r) => r[0] },
          { label: "Result", render: (r) => r[1] },
        ]}
      />
      {p.authOk ? (
        <>
          <Table
            id="probe-disks"
            rows={p.disks}
            columns={[
              { label: "Path", render: (d) => <code>{d.path}</code> },
              { label: "Mount", render: (d) => d.mount },
              { label: "Free", render: (d) => bytes(d.freeBytes), class: "num" },
              { label: "Size", render: (d) => bytes(d.totalBytes), class: "num" },
            ]}
          />
          <Table
            id="probe-tools"
            rows={p.tools}
            columns={[
              { label: "Tool", render: (t) => <code>{t.name}</code> },
              {
                label: "Found",
                render: (t) => (t.path ? <Badge kind="ok">found</Badge> : <Badge>missing</Badge>),
              },
              { label: "Path", render: (t) => <span class="mono">{t.path ?? ""}</span> },
              { label: "Version", render: (t) => t.version ?? "" },
            ]}
          />
        </>
      ) : null}
    </div>
  );
}
