import { type OperationStepState, ui } from "../../../server/sdk/index.ts";
import { type ActionRecord, canRollBack } from "../store/action-store.ts";
import type { BackupReadiness } from "../actions/backup-api.ts";

/** A status the record may not have yet (null) shows as unknown, grey. */
const Status = (props: { status: string | null }) => <ui.StatusBadge status={props.status ?? "unknown"} />;

/** "Roll back to <backup>": one click on a test instance; admin and the typed name on production. */
export function RollbackForm(props: {
  a: ActionRecord;
  base: string;
  production: boolean;
  instanceName: string;
}) {
  const { a } = props;
  return (
    <ui.Form action={`${props.base}/actions/${a.operationId}/rollback`} class="rollback-form">
      <p>
        The {a.action} of <code>{a.modules}</code> did not finish. Restore <strong>{a.backupName}</strong>,
        taken just before it, over {props.instanceName}: the current database is kept aside as a rollback
        copy.
      </p>
      {props.production ? (
        <ui.Field
          label={`Production: type "${props.instanceName}" to confirm`}
          name="confirm"
          required
          hint="Admins only"
        />
      ) : null}
      <button class="danger" data-confirm={`Restore ${a.backupName} over ${props.instanceName}?`}>
        Roll back to {a.backupName}
      </button>
    </ui.Form>
  );
}

export function ActionView(props: {
  a: ActionRecord;
  base: string;
  production: boolean;
  instanceName: string;
  /** The live operation's steps, while it is in memory. */
  steps?: OperationStepState[] | null;
}) {
  const { a } = props;
  return (
    <ui.Card title={`${a.action} ${a.modules} on ${props.instanceName}`} id="module-action">
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Status status={a.status} /> <a href={`/operations/${a.operationId}`}>operation and log</a>
        </dd>
        <dt>By</dt>
        <dd>
          {a.actor}, <ui.Time at={a.startedAt} />
        </dd>
        {a.error ? (
          <>
            <dt>Error</dt>
            <dd>{a.error}</dd>
          </>
        ) : null}
        <dt>Backup first</dt>
        <dd id="action-backup">
          {a.backupName ? (
            <>
              <a href={`/operations/${a.backupOperationId}`}>{a.backupName}</a>{" "}
              <Status status={a.backupStatus} />
            </>
          ) : a.backupSkipped ? (
            `skipped: ${a.backupSkipped}`
          ) : (
            "no"
          )}
        </dd>
        {a.rollbackOperationId ? (
          <>
            <dt>Rollback</dt>
            <dd id="action-rollback">
              <Status status={a.rollbackStatus} />{" "}
              <a href={`/operations/${a.rollbackOperationId}`}>restore of {a.backupName}</a> by {a.rollbackBy}
              {a.rollbackDb ? `; the database it replaced is kept as ${a.rollbackDb}` : ""}
            </dd>
          </>
        ) : null}
      </dl>
      {props.steps?.length ? <ui.OperationSteps steps={props.steps} id="action-steps" /> : null}
      {canRollBack(a) ? (
        <RollbackForm
          a={a}
          base={props.base}
          production={props.production}
          instanceName={props.instanceName}
        />
      ) : null}
    </ui.Card>
  );
}

/** The last actions on the instance, with the rollback of a failed one at hand. */
export function RecentActions(props: {
  rows: ActionRecord[];
  base: string;
  production: boolean;
  instanceName: string;
}) {
  if (!props.rows.length) return null;
  return (
    <ui.Card title="Recent actions">
      <ui.Table
        id="module-actions"
        rows={props.rows}
        columns={[
          { label: "Status", render: (a) => <Status status={a.status} /> },
          {
            label: "Action",
            render: (a) => (
              <a href={`${props.base}/actions/${a.operationId}`}>
                {a.action} {a.modules}
              </a>
            ),
          },
          { label: "Backup first", render: (a) => a.backupName ?? (a.backupSkipped ? "skipped" : "—") },
          { label: "Started", render: (a) => <ui.Time at={a.startedAt} /> },
          {
            label: "",
            render: (a) =>
              canRollBack(a) ? (
                <RollbackForm
                  a={a}
                  base={props.base}
                  production={props.production}
                  instanceName={props.instanceName}
                />
              ) : a.rollbackStatus ? (
                `rollback ${a.rollbackStatus}`
              ) : (
                ""
              ),
          },
        ]}
      />
    </ui.Card>
  );
}

/** The "back up first" box of the actions form, or why it cannot be ticked. */
export function BackupFirstBox(props: { readiness: BackupReadiness; defaultOn: boolean }) {
  const r = props.readiness;
  return (
    <div class="field" id="backup-first">
      <input type="hidden" name="backupChoice" value="1" />
      {r.ok ? (
        <label>
          <input type="checkbox" name="backupFirst" value="on" checked={props.defaultOn} /> Back up first
          (full backup to {r.destinations.join(", ")}); if the action fails, roll back to it in one click
        </label>
      ) : (
        <label class="muted">
          <input type="checkbox" name="backupFirst" value="on" disabled /> Back up first is not available:{" "}
          {r.message} <code class="code">{r.code}</code>
          {r.hint ? <small> — {r.hint}</small> : null}
        </label>
      )}
    </div>
  );
}
