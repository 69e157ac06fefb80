import type { InstanceHandle } from "../../../server/sdk/index.ts";
import { ui } from "../../../server/sdk/index.ts";
import type { RetentionPlan } from "../retention.ts";
import { type BackupRecord, isVerified } from "../store.ts";

export function StatusBadge(props: { b: BackupRecord }) {
  const b = props.b;
  if (b.status === "running") return <ui.Badge kind="info">running</ui.Badge>;
  if (b.status === "failed") return <ui.Badge kind="error">failed</ui.Badge>;
  if (b.status === "cancelled") return <ui.Badge kind="muted">cancelled</ui.Badge>;
  if (b.status === "interrupted") return <ui.Badge kind="error">interrupted</ui.Badge>;
  if (b.destinations.some((d) => d.verify === "corrupt" || d.verify === "missing"))
    return <ui.Badge kind="error">corrupt</ui.Badge>;
  return isVerified(b) ? (
    <ui.Badge kind="ok">verified</ui.Badge>
  ) : (
    <ui.Badge kind="warn">not verified</ui.Badge>
  );
}

function Destinations(props: { b: BackupRecord }) {
  return (
    <ul class="plain">
      {props.b.destinations.map((d) => (
        <li>
          <code>{d.id}</code> {d.status}
          {d.verify ? ` · ${d.verify}` : ""}
          {d.error ? <small class="error"> — {d.error}</small> : null}
          {d.verifyError ? <small class="error"> — {d.verifyError}</small> : null}
        </li>
      ))}
    </ul>
  );
}

export function BackupsPage(props: {
  inst: InstanceHandle;
  backups: BackupRecord[];
  canRun: boolean;
  defaultDestinations: string;
  plan: RetentionPlan<BackupRecord> | null;
}) {
  const base = `/p/backup/i/${props.inst.id}/backups`;
  const deleting = props.plan?.delete ?? [];
  return (
    <div>
      {props.canRun ? (
        <ui.Card title="Back up now">
          <ui.Form action={base}>
            <ui.Select
              label="Scope"
              name="scope"
              value="full"
              options={[
                { value: "full", label: "Database + filestore" },
                { value: "db", label: "Database only" },
                { value: "files", label: "Filestore only" },
              ]}
            />
            <ui.Select
              label="Format"
              name="format"
              value="native"
              options={[
                { value: "native", label: "odoodeck (fast, checksummed)" },
                { value: "zip", label: "Odoo zip (restorable by Odoo's database manager)" },
              ]}
            />
            <ui.Field
              label="Destinations"
              name="destinations"
              value={props.defaultDestinations}
              hint="Comma-separated: local, s3, server:<instance id>"
            />
            <button type="submit">Back up now</button>
          </ui.Form>
        </ui.Card>
      ) : null}
      <ui.Card
        title={`Backups of ${props.inst.name}`}
        actions={<a href={`/p/backup/i/${props.inst.id}/restore-tests`}>Restore tests</a>}
      >
        <ui.Table
          id="backups"
          rows={props.backups}
          empty="No backups yet."
          columns={[
            { label: "Created", render: (b) => <ui.Time at={b.createdAt} /> },
            { label: "Name", render: (b) => <code>{b.name}</code> },
            { label: "Scope", render: (b) => `${b.scope} · ${b.format}` },
            { label: "Size", render: (b) => (b.bytes ? ui.bytes(b.bytes) : "—") },
            { label: "Status", render: (b) => <StatusBadge b={b} /> },
            { label: "Destinations", render: (b) => <Destinations b={b} /> },
            {
              label: "",
              render: (b) => (
                <div class="actions">
                  {b.operationId ? <a href={`/operations/${b.operationId}`}>progress</a> : null}
                  {b.status === "ok" ? <a href={`/p/backup/backups/${b.id}/download`}>download</a> : null}
                  {b.status === "ok" && props.canRun ? (
                    <ui.Form action={`/p/backup/backups/${b.id}/verify`}>
                      <button type="submit" class="secondary">
                        verify
                      </button>
                    </ui.Form>
                  ) : null}
                  {b.error ? <small class="error">{b.error}</small> : null}
                </div>
              ),
            },
          ]}
        />
      </ui.Card>
      {props.plan ? (
        <ui.Card title="Retention: what the next scheduled run will delete">
          {deleting.length ? (
            <ul id="retention-delete">
              {deleting.map((d) => (
                <li>
                  <code>{d.item.name}</code> — {d.reason}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">Nothing: every backup is within the policy.</p>
          )}
        </ui.Card>
      ) : null}
    </div>
  );
}
