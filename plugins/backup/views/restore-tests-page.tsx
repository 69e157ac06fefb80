/** The Restore tests page of an instance: last result, run now, the schedule, and the history with every check. */
import type { InstanceHandle, JobSchedule } from "../../../server/sdk/index.ts";
import { ui } from "../../../server/sdk/index.ts";
import type { CheckOutcome, RestoreTestRecord } from "../restore-tests/restore-test-store.ts";

const statusKind = (s: string) =>
  s === "ok" ? "ok" : s === "running" ? "info" : s === "failed" ? "error" : "muted";

const secs = (n: number | null) => (n == null ? "—" : `${n.toFixed(1)} s`);

export function CheckLines(props: { checks: CheckOutcome[] }) {
  return (
    <ul class="plain checks">
      {props.checks.map((c) => (
        <li data-check={c.name} data-status={c.status}>
          <ui.Badge kind={c.status === "ok" ? "ok" : c.status === "failed" ? "error" : "muted"}>
            {c.status === "ok" ? "pass" : c.status === "failed" ? "FAIL" : "skipped"}
          </ui.Badge>{" "}
          <strong>{c.name}</strong>: {c.message}
          {c.seconds != null ? <small class="muted"> ({c.seconds} s)</small> : null}
        </li>
      ))}
    </ul>
  );
}

/** The newest failed test's reason, short enough for a card: the failed checks' own lines. */
function failureGist(t: RestoreTestRecord): string {
  const failed = t.checks.filter((c) => c.status === "failed");
  const text = failed.length
    ? failed.map((c) => `${c.name}: ${c.message}`).join("; ")
    : (t.error ?? t.status);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** Minutes with one decimal: a recovery objective is read in minutes. */
const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;

/** "Last verified restore: 3 hours ago (backup X, restored in 42 s)", "never", then "FAILED: why". */
export function RestoreTestLine(props: { lastOk: RestoreTestRecord | null; last: RestoreTestRecord | null }) {
  const { lastOk, last } = props;
  const failedLast = last && last.status === "failed" && (!lastOk || last.id > lastOk.id) ? last : null;
  return (
    <span class="restore-test-line" style="overflow-wrap:anywhere">
      Last verified restore:{" "}
      {lastOk ? (
        <>
          <ui.Time at={lastOk.finishedAt ?? lastOk.startedAt} /> (backup <code>{lastOk.backupName}</code>,
          restored in {secs(lastOk.restoreSeconds)})
          {lastOk.rtoSeconds !== null && lastOk.rpoSeconds !== null ? (
            <span class="recovery-figures">
              {" "}
              · RTO {minutes(lastOk.rtoSeconds)}, RPO {minutes(lastOk.rpoSeconds)}
            </span>
          ) : null}
        </>
      ) : (
        <ui.Badge kind="warn">never</ui.Badge>
      )}
      {failedLast ? (
        <span class="restore-test-failed">
          <br />
          <ui.Badge kind="error">FAILED</ui.Badge>{" "}
          <ui.Time at={failedLast.finishedAt ?? failedLast.startedAt} />:{" "}
          <small class="error" title={failedLast.error ?? ""}>
            {failureGist(failedLast)}
          </small>
        </span>
      ) : null}
    </span>
  );
}

export function RestoreTestsPage(props: {
  inst: InstanceHandle;
  /** The instances the user may see: names in the history and schedule. */
  instances: InstanceHandle[];
  /** Those the user operates: the only ones offered as a target. */
  targets: InstanceHandle[];
  tests: RestoreTestRecord[];
  lastOk: RestoreTestRecord | null;
  last: RestoreTestRecord | null;
  schedule: JobSchedule | null;
  canRun: boolean;
}) {
  const { inst, schedule } = props;
  const base = `/p/backup/i/${inst.id}/restore-tests`;
  const names = new Map(props.instances.map((i) => [i.id, i.name]));
  const scheduledTarget = schedule?.params.target ? String(schedule.params.target) : String(inst.id);
  const targets = props.targets.map((i) => ({
    value: String(i.id),
    label: i.id === inst.id ? `${i.name} (this instance)` : i.name,
  }));
  return (
    <div>
      <ui.Card title="Restore tests">
        <p>
          The latest backup is restored into a scratch database on the target's server and PostgreSQL,
          neutralized, checked (row counts, every attachment file and its SHA-1, installed modules, Odoo
          loading it when odoo-bin is there) and dropped. The live database is never touched.
        </p>
        <p id="restore-test-summary">
          <RestoreTestLine lastOk={props.lastOk} last={props.last} />
        </p>
      </ui.Card>
      {props.canRun ? (
        <ui.Card title="Run a restore test now">
          <ui.Form action={base}>
            <ui.Select
              label="Target (server, cluster, data_dir used for the scratch copy)"
              name="target"
              value={scheduledTarget}
              options={targets}
            />
            <button type="submit">Run restore test</button>
          </ui.Form>
        </ui.Card>
      ) : null}
      <ui.Card title="Schedule">
        {schedule ? (
          <p id="restore-test-schedule">
            <code title={schedule.cron}>{schedule.description}</code> ({schedule.timezone}) on{" "}
            {names.get(Number(schedule.params.target ?? inst.id)) ?? `#${schedule.params.target}`}
            {schedule.enabled ? (
              <>
                , next <ui.Time at={schedule.next} />
              </>
            ) : (
              <ui.Badge kind="muted">paused</ui.Badge>
            )}
            , last run <ui.Time at={schedule.lastRunAt} />
          </p>
        ) : (
          <p class="muted" id="restore-test-schedule">
            Not scheduled.
          </p>
        )}
        {props.canRun ? (
          <>
            <ui.Form action={`${base}/schedule`}>
              <ui.Field
                label="When (cron)"
                name="cron"
                value={schedule?.cron ?? "30 3 * * 0"}
                required
                hint='minute hour day month weekday — "30 3 * * 0" is every Sunday at 03:30'
              />
              <ui.Field label="Time zone" name="timezone" value={schedule?.timezone ?? "UTC"} />
              <ui.Select label="Target" name="target" value={scheduledTarget} options={targets} />
              <button type="submit">{schedule ? "Save schedule" : "Schedule"}</button>
            </ui.Form>
            {schedule ? (
              <ui.Form action={`${base}/schedule/delete`}>
                <button type="submit" class="secondary" data-confirm="Stop scheduled restore tests?">
                  Remove schedule
                </button>
              </ui.Form>
            ) : null}
          </>
        ) : null}
      </ui.Card>
      <ui.Card title="History">
        {props.tests.length ? (
          <ol class="stack" id="restore-tests" style="list-style:none;padding:0;overflow-wrap:anywhere">
            {props.tests.map((t) => (
              <li data-test={t.id} data-status={t.status}>
                <div class="row">
                  <ui.Badge kind={statusKind(t.status)}>{t.status}</ui.Badge>
                  <ui.Time at={t.startedAt} />
                  <span>
                    backup {t.backupName ? <code>{t.backupName}</code> : "—"} on{" "}
                    {names.get(t.targetInstanceId) ?? `#${t.targetInstanceId}`}
                  </span>
                  <span class="muted">
                    restore {secs(t.restoreSeconds)}, total {secs(t.totalSeconds)} · {t.trigger} by {t.actor}
                    {t.operationId ? (
                      <>
                        {" · "}
                        <a href={`/operations/${t.operationId}`}>operation</a>
                      </>
                    ) : null}
                  </span>
                </div>
                {t.error && !t.checks.some((c) => c.status === "failed") ? (
                  <p class="error">
                    <code>{t.errorCode}</code> {t.error}
                  </p>
                ) : null}
                <CheckLines checks={t.checks} />
              </li>
            ))}
          </ol>
        ) : (
          <p class="muted">No restore test has run yet.</p>
        )}
      </ui.Card>
    </div>
  );
}
