import { Badge, bytes, Card, Field, Flash, Form, Select, Table } from "../../../views/components/ui.tsx";
import type { InstanceStatus } from "../../instances/instance-status.ts";
import type { InstanceInput } from "../../instances/instances.ts";
import type { InstanceRow, ServerRow } from "../../instances/registry.ts";

/** Add/edit form of an instance; `value` pre-fills a new one (from discovery or a failed post). */
export function InstanceForm(p: { servers: ServerRow[]; value: InstanceInput; row?: InstanceRow }) {
  const r = p.row;
  const v = p.value;
  const s = (x: unknown) => (x == null || x === "" ? undefined : String(x));
  return (
    <Form action={r ? `/instances/${r.id}` : "/instances/new"}>
      <Field label="Name" name="name" value={s(v.name ?? r?.name)} required placeholder="e.g. acme-prod" />
      <Select
        label="Server"
        name="serverId"
        options={p.servers.map((x) => ({ value: String(x.id), label: `${x.name} (${x.kind})` }))}
        value={s(v.serverId ?? r?.server_id)}
      />
      <Field
        label="odoo.conf path"
        name="confPath"
        value={s(v.confPath ?? r?.conf_path)}
        required
        placeholder="/etc/odoo/odoo.conf"
      />
      <Field
        label="Database"
        name="dbName"
        value={s(v.dbName ?? r?.db_name)}
        hint="Leave blank to use db_name from odoo.conf"
      />
      <Field label="systemd service" name="service" value={s(v.service ?? r?.service)} placeholder="odoo" />
      <Field label="Docker container" name="container" value={s(v.container ?? r?.container)} />
      <Field
        label="Public URL"
        name="publicUrl"
        value={s(v.publicUrl ?? r?.public_url)}
        placeholder="https://erp.example.com"
      />
      <label class="field">
        <span>
          <input type="checkbox" name="production" checked={!!(v.production ?? r?.production)} /> Production
        </span>
        <small>
          A production instance is backed up daily by default (older backups thinned to weekly and monthly);
          restoring over it needs an admin and its name typed back
        </small>
      </label>
      <Field label="Group" name="group" value={s(v.group ?? r?.group_name)} placeholder="e.g. Clients" />
      <Field
        label="Tags"
        name="tags"
        value={s(v.tags ?? (r ? (JSON.parse(r.tags) as string[]).join(", ") : undefined))}
        hint="Comma separated"
      />
      <button>{r ? "Save" : "Add instance"}</button>
    </Form>
  );
}

/**
 * The overview's Status card before its facts are read: htmx fetches them right after the page
 * (reading odoo.conf, the database and the log takes longer than the page should).
 */
export function StatusPlaceholder(p: { row: InstanceRow }) {
  return (
    <Card title="Status" id="instance-status">
      <div hx-get={`/instances/${p.row.id}/status`} hx-trigger="load" hx-swap="outerHTML">
        <p class="muted">Reading odoo.conf and the database…</p>
      </div>
    </Card>
  );
}

/** Status block of the overview: every failing part shows its own error, the rest still renders. */
export function StatusCard(p: { row: InstanceRow; server: ServerRow; st: InstanceStatus }) {
  return (
    <Card title="Status" id="instance-status">
      <StatusFacts {...p} />
    </Card>
  );
}

/** The Status card's content, also answered alone as the placeholder's fragment. */
export function StatusFacts(p: { row: InstanceRow; server: ServerRow; st: InstanceStatus }) {
  const { row, server, st } = p;
  const cells: Array<[string, unknown]> = [
    ["Server", <a href={`/servers/${server.id}`}>{server.name}</a>],
    ["odoo.conf", <code>{row.conf_path}</code>],
    [
      "Configuration",
      st.conf.ok ? <Badge kind="ok">readable</Badge> : <Badge kind="error">{st.conf.error.code}</Badge>,
    ],
    [
      "Database",
      st.db == null ? (
        "—"
      ) : st.db.ok ? (
        <>
          <strong>{st.db.name}</strong> <Badge kind="ok">reachable</Badge>
        </>
      ) : (
        <>
          {st.db.name ?? ""} <Badge kind="error">{st.db.error.code}</Badge>
        </>
      ),
    ],
    [
      "Odoo version",
      <>
        <span id="odoo-version">{st.odooRelease?.version ?? "—"}</span>
        {st.odooRelease ? <small class="muted"> (from its {st.odooRelease.source})</small> : null}
      </>,
    ],
    ["Base module", <span id="base-version">{st.odooVersion ?? "—"}</span>],
    ["Database size", <span id="db-size">{bytes(st.dbSizeBytes)}</span>],
    ["Installed modules", st.installedModules ?? "—"],
  ];
  if (st.settings)
    cells.push(
      [
        "PostgreSQL",
        `${st.settings.dbUser ?? "(OS user)"}@${st.settings.dbHost ?? "local socket"}:${st.settings.dbPort}`,
      ],
      ["Filestore", <code>{st.settings.filestore ?? st.settings.dataDir}</code>],
      ["HTTP port / workers", `${st.settings.httpPort} / ${st.settings.workers}`],
    );
  if (row.service) cells.push(["Service", <code>{row.service}</code>]);
  if (row.container) cells.push(["Container", <code>{row.container}</code>]);
  if (row.public_url) cells.push(["Public URL", <a href={row.public_url}>{row.public_url}</a>]);
  return (
    <div id="instance-status-facts">
      {!st.conf.ok ? (
        <Flash
          kind="error"
          message={st.conf.error.message}
          hint={st.conf.error.hint}
          code={st.conf.error.code}
        />
      ) : null}
      {st.db && !st.db.ok ? (
        <Flash kind="error" message={st.db.error.message} hint={st.db.error.hint} code={st.db.error.code} />
      ) : null}
      {st.conf.ok && st.conf.errors.length ? (
        <Flash
          kind="error"
          message={`odoo.conf: ${st.conf.errors.join("; ")}`}
          hint="Odoo will not start with this file: fix the lines named above"
          code="E_CONF_INVALID"
        />
      ) : null}
      {st.conf.ok && st.conf.warnings.length ? (
        <Flash kind="info" message={`odoo.conf: ${st.conf.warnings.join("; ")}`} />
      ) : null}
      <Table
        rows={cells}
        columns={[
          { label: "", render: (c) => c[0] },
          { label: "", render: (c) => c[1] as any },
        ]}
      />
    </div>
  );
}
