import type { Child } from "hono/jsx";
import type { InstanceHandle, JobSchedule } from "../../../server/sdk/index.ts";
import { ui } from "../../../server/sdk/index.ts";
import { safeSegment } from "../archive/format.ts";
import type { RetentionPlan } from "../copies/retention.ts";
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

/** A destination the backup form offers: picked from a list, never typed. */
export interface DestinationChoice {
  id: string;
  label: string;
}

/** The instance is already in the page title: the row shows the rest of the name. */
export function shortName(b: BackupRecord, inst: InstanceHandle): string {
  const prefix = `${safeSegment(inst.name)}_`;
  return b.name.startsWith(prefix) ? b.name.slice(prefix.length) : b.name;
}

function ScheduleCard(props: {
  inst: InstanceHandle;
  schedule: JobSchedule | null;
  destinations: DestinationChoice[];
  defaults: string[];
  keep: { daily: number; weekly: number; monthly: number };
  restoreLine: Child;
  canRun: boolean;
}) {
  const { schedule: s } = props;
  const where = (ids: string[]) =>
    ids.map((id) => props.destinations.find((d) => d.id === id)?.label ?? id).join(", ");
  const dests = s?.params.destinations
    ? String(s.params.destinations).split(",").filter(Boolean)
    : props.defaults;
  return (
    <ui.Card title="Schedule" id="backup-schedule" actions={<a href="/jobs">All jobs</a>}>
      {s ? (
        <dl class="facts">
          <dt>Runs</dt>
          <dd>
            {s.description} ({s.timezone}){s.enabled ? null : <ui.Badge>paused</ui.Badge>}
          </dd>
          <dt>Next run</dt>
          <dd>{s.next ? <ui.Time at={s.next} /> : "—"}</dd>
          <dt>Goes to</dt>
          <dd>{where(dests)}</dd>
          <dt>Kept</dt>
          <dd>
            {props.keep.daily} daily, {props.keep.weekly} weekly, {props.keep.monthly} monthly; the newest
            verified backup is never deleted
          </dd>
          <dt>Restore</dt>
          <dd>{props.restoreLine}</dd>
        </dl>
      ) : (
        <>
          <p>
            <ui.Badge kind="warn">not scheduled</ui.Badge> {props.inst.name} is only backed up when someone
            clicks “Back up now”.
          </p>
          <p>{props.restoreLine}</p>
          {props.canRun ? (
            <ui.Form action={`/p/backup/i/${props.inst.id}/schedule`}>
              <button type="submit" class="secondary">
                Back up daily at 02:00
              </button>
            </ui.Form>
          ) : null}
        </>
      )}
    </ui.Card>
  );
}

export function BackupsPage(props: {
  inst: InstanceHandle;
  backups: BackupRecord[];
  canRun: boolean;
  destinations: DestinationChoice[];
  defaultDestinations: string[];
  plan: RetentionPlan<BackupRecord> | null;
  schedule: JobSchedule | null;
  keep: { daily: number; weekly: number; monthly: number };
  restoreLine: Child;
}) {
  const base = `/p/backup/i/${props.inst.id}/backups`;
  const restore = `/p/backup/i/${props.inst.id}/restore`;
  const deleting = props.plan?.delete ?? [];
  return (
    <div>
      <ScheduleCard
        inst={props.inst}
        schedule={props.schedule}
        destinations={props.destinations}
        defaults={props.defaultDestinations}
        keep={props.keep}
        restoreLine={props.restoreLine}
        canRun={props.canRun}
      />
      {props.canRun ? (
        <ui.Card title="Back up now" id="backup-now">
          <ui.Form action={base}>
            <div class="form-grid">
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
            </div>
            <fieldset class="pick">
              <legend>Destinations</legend>
              {props.destinations.map((d) => (
                <label class="choice">
                  <input
                    type="checkbox"
                    name="destinations"
                    value={d.id}
                    checked={props.defaultDestinations.includes(d.id)}
                  />
                  <span>{d.label}</span>
                </label>
              ))}
            </fieldset>
            <button type="submit">Back up now</button>
          </ui.Form>
        </ui.Card>
      ) : null}
      <ui.Card
        title="Backups"
        actions={
          <span class="row">
            <a href={restore}>Restore…</a>
            <a href={`/p/backup/i/${props.inst.id}/restore-tests`}>Restore tests</a>
          </span>
        }
      >
        <ui.Table
          id="backups"
          rows={props.backups}
          empty="No backups yet."
          columns={[
            { label: "Status", render: (b) => <StatusBadge b={b} />, class: "keep" },
            {
              label: "Taken",
              render: (b) => (
                <>
                  <ui.Time at={b.createdAt} />
                  <small class="muted block">
                    {b.scope} · {b.format}
                  </small>
                </>
              ),
            },
            {
              label: "Name",
              class: "hide-narrow",
              render: (b) => (
                <code class="wrap" title={b.name}>
                  {shortName(b, props.inst)}
                </code>
              ),
            },
            { label: "Size", class: "num", render: (b) => (b.bytes ? ui.bytes(b.bytes) : "—") },
            { label: "Destinations", class: "hide-narrow", render: (b) => <Destinations b={b} /> },
            {
              label: "",
              class: "keep",
              render: (b) => (
                <div class="actions row">
                  {b.status === "ok" && props.canRun ? (
                    <a class="button" href={`${restore}?backup=${b.id}`}>
                      Restore
                    </a>
                  ) : null}
                  {b.operationId ? <a href={`/operations/${b.operationId}`}>progress</a> : null}
                  {b.status === "ok" ? <a href={`/p/backup/backups/${b.id}/download`}>download</a> : null}
                  {b.status === "ok" && b.format === "native" && b.scope !== "files" ? (
                    <a
                      href={`/p/backup/backups/${b.id}/download?as=odoo-zip`}
                      title="The same backup as the zip Odoo's database manager restores"
                    >
                      as Odoo zip
                    </a>
                  ) : null}
                  {b.status === "ok" && props.canRun ? (
                    <ui.Form action={`/p/backup/backups/${b.id}/verify`} class="inline">
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
