import { ui } from "../../../server/sdk/index.ts";
import type { DatabaseReport } from "../load-report.ts";

export function OverviewCard(props: { r: DatabaseReport }) {
  const { r } = props;
  const o = r.overview;
  if (!o) return null;
  return (
    <ui.Card title={`Database ${o.database}`}>
      <dl class="facts" id="db-facts">
        <dt>PostgreSQL</dt>
        <dd>{o.postgresVersion}</dd>
        <dt>Odoo</dt>
        <dd>{r.odooVersion ?? "—"}</dd>
        <dt>Size</dt>
        <dd data-bytes={o.sizeBytes}>{ui.bytes(o.sizeBytes)}</dd>
      </dl>
      <h3>Largest tables</h3>
      <ui.Table
        id="largest-tables"
        rows={o.largestTables}
        columns={[
          { label: "Table", render: (t) => t.name },
          { label: "Total size", render: (t) => ui.bytes(t.bytes) },
        ]}
      />
      <h3>Largest indexes</h3>
      <ui.Table
        id="largest-indexes"
        rows={o.largestIndexes}
        columns={[
          { label: "Index", render: (t) => t.name },
          { label: "Table", render: (t) => t.table },
          { label: "Size", render: (t) => ui.bytes(t.bytes) },
        ]}
      />
    </ui.Card>
  );
}

export function FilestoreCard(props: { r: DatabaseReport }) {
  const f = props.r.filestore;
  if (!f) return null;
  return (
    <ui.Card title="Filestore">
      {!f.exists ? (
        <ui.Flash
          kind="error"
          message={`The filestore ${f.path} does not exist`}
          hint="Check data_dir in odoo.conf"
        />
      ) : null}
      <dl class="facts" id="filestore-facts">
        <dt>Path</dt>
        <dd>
          <code>{f.path}</code>
        </dd>
        <dt>Size</dt>
        <dd data-bytes={f.sizeBytes}>{ui.bytes(f.sizeBytes)}</dd>
        <dt>Files</dt>
        <dd id="fs-files">{f.fileCount}</dd>
        <dt>Attachments in the filestore</dt>
        <dd id="fs-att-store">{f.attachmentsInFilestore}</dd>
        <dt>Attachments in the database</dt>
        <dd id="fs-att-db">{f.attachmentsInDb}</dd>
        <dt>Orphan files</dt>
        <dd id="fs-orphans">{f.orphanCount}</dd>
        <dt>Missing files</dt>
        <dd id="fs-missing">{f.missingCount}</dd>
      </dl>
      {f.missingCount ? (
        <ui.Flash
          kind="error"
          message={`${f.missingCount} attachment file(s) are missing`}
          hint={f.missing.join(", ")}
        />
      ) : null}
      {f.orphanCount ? <p class="muted">Orphans: {f.orphans.join(", ")}</p> : null}
    </ui.Card>
  );
}

export function RollbackCard(props: { r: DatabaseReport; base: string }) {
  const copies = props.r.rollbackCopies;
  if (!copies?.length) return null;
  return (
    <ui.Card title="Rollback copies left by restores">
      <ui.Table
        id="rollback-copies"
        rows={copies}
        columns={[
          { label: "Database", render: (c) => c.name },
          { label: "Size", render: (c) => ui.bytes(c.sizeBytes) },
          {
            label: "",
            render: (c) => (
              <ui.Form action={`${props.base}/drop-rollback`} class="row">
                <input type="hidden" name="name" value={c.name} />
                <input
                  name="confirm"
                  placeholder={`type ${c.name}`}
                  aria-label={`Confirm dropping ${c.name}`}
                  required
                />
                <button>Drop (admin)</button>
              </ui.Form>
            ),
          },
        ]}
      />
    </ui.Card>
  );
}
