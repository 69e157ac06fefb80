/**
 * The restore page of an instance: pick a backup from a list (or upload one), pick where it goes
 * (a new database, this instance, another instance), then the copy form and rollback copies.
 * Everything is chosen by clicking: no ids or paths to type.
 */
import type { InstanceHandle } from "../../../server/sdk/index.ts";
import { ui } from "../../../server/sdk/index.ts";
import { StatusBadge } from "./backups-page.tsx";
import type { BackupRecord } from "../store.ts";
import type { RollbackCopy } from "../restore/swap.ts";

/** A fresh name: `<db>_restored_<yyyymmdd_hhmmss>`, within checkNewDbName's 41 characters. */
export function suggestedDbName(db: string | null, now = new Date()): string {
  const at = now.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "_");
  return `${(db ?? "odoo").slice(0, 16)}_restored_${at}`;
}

function BackupPicker(props: {
  backups: BackupRecord[];
  names: Map<number, string>;
  picked: number | null;
  uploadUrl: string;
}) {
  const first = props.picked ?? props.backups[0]?.id ?? null;
  return (
    <fieldset class="pick" id="backup-pick">
      <legend>1. Which backup</legend>
      {props.backups.length ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th />
                <th>Instance</th>
                <th>Taken</th>
                <th class="num">Size</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {props.backups.map((b) => (
                <tr>
                  <td>
                    <input
                      type="radio"
                      name="backupId"
                      value={String(b.id)}
                      id={`pick-${b.id}`}
                      checked={b.id === first}
                      aria-label={`Backup ${b.name}`}
                    />
                  </td>
                  <td>
                    <label for={`pick-${b.id}`}>{props.names.get(b.instanceId) ?? `#${b.instanceId}`}</label>
                  </td>
                  <td>
                    <label for={`pick-${b.id}`}>
                      <ui.Time at={b.finishedAt ?? b.createdAt} />{" "}
                      <small class="muted">
                        {b.scope} · {b.format}
                      </small>
                    </label>
                  </td>
                  <td class="num">{ui.bytes(b.bytes)}</td>
                  <td>
                    <StatusBadge b={b} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="muted">No finished backup yet: take one on the Backups tab, or upload a file below.</p>
      )}
      <div class="upload-row">
        <label class="row">
          <input type="radio" name="backupId" value="upload" checked={first == null} id="pick-upload" />
          <span>A file from your computer</span>
        </label>
        <input
          type="file"
          id="restore-file"
          accept=".zip,.dump,.sql,.gz"
          aria-label="Backup file to upload"
          data-upload-url={props.uploadUrl}
        />
        <input type="hidden" name="source" id="restore-source" value="" />
        <small class="muted" id="upload-status">
          An Odoo zip (database manager, with filestore) or a pg_dump file.
        </small>
      </div>
    </fieldset>
  );
}

function TargetPicker(props: { inst: InstanceHandle; currentDb: string | null; others: InstanceHandle[] }) {
  const { inst } = props;
  const serverName = inst.serverName;
  const radio = (value: string, neutralize: boolean, label: string, hint: string, checked = false) => (
    <label class="choice">
      <input
        type="radio"
        name="target"
        value={value}
        checked={checked}
        data-neutralize={neutralize ? "on" : "off"}
      />
      <span>
        <strong>{label}</strong>
        <small class="muted">{hint}</small>
      </span>
    </label>
  );
  return (
    <fieldset class="pick" id="target-pick">
      <legend>2. Where it goes</legend>
      {radio(
        "new",
        true,
        `A new database on ${serverName}`,
        `${inst.name} keeps running on ${props.currentDb ?? "its database"}`,
        true,
      )}
      <ui.Field label="New database name" name="dbName" value={suggestedDbName(props.currentDb)} />
      {radio(
        "instance",
        !inst.production,
        `Replace ${inst.name}'s database${inst.production ? " (production)" : ""}`,
        "Swapped in after the checks; the current database is kept as a rollback copy",
      )}
      {props.others.map((o) =>
        radio(
          `other:${o.id}`,
          !o.production,
          `Replace ${o.name}'s database${o.production ? " (production)" : ""}`,
          `Another instance, on ${o.serverName}`,
        ),
      )}
      <ui.Field
        label="Type the instance name to confirm (only when replacing production)"
        name="confirm"
        autocomplete="off"
      />
    </fieldset>
  );
}

export function RestorePage(props: {
  inst: InstanceHandle;
  /** The database the instance serves now (record or odoo.conf). */
  currentDb: string | null;
  rollbacks: RollbackCopy[];
  others: InstanceHandle[];
  backups: BackupRecord[];
  names: Map<number, string>;
  picked: number | null;
}) {
  const { inst } = props;
  const base = `/p/backup/i/${inst.id}`;
  return (
    <div>
      <ui.Card title="Restore a backup">
        <p class="muted">
          The backup goes into a temporary database first, is checked (and neutralized unless you say
          otherwise), and only then takes its place: nothing is replaced by a half-made copy.
        </p>
        <ui.Form action={`${base}/restore`} id="restore-form">
          <BackupPicker
            backups={props.backups}
            names={props.names}
            picked={props.picked}
            uploadUrl={`${base}/restore/upload`}
          />
          <TargetPicker inst={inst} currentDb={props.currentDb} others={props.others} />
          <fieldset class="pick">
            <legend>3. Safety</legend>
            <input type="hidden" name="neutralize" value="off" />
            <label class="choice">
              <input type="checkbox" name="neutralize" value="on" id="restore-neutralize" checked />
              <span>
                <strong>Neutralize</strong>
                <small class="muted">
                  No outgoing mail, no fetchmail, crons off, credentials scrubbed: on by default for anything
                  that is not production
                </small>
              </span>
            </label>
            <details>
              <summary>Database identity</summary>
              <ui.Select
                label="Identity"
                name="mode"
                options={[
                  { value: "copy", label: "copy (new uuid: a test or staging copy)" },
                  { value: "move", label: "move (keep uuid: the same database, moved)" },
                ]}
              />
            </details>
          </fieldset>
          <button type="submit">Restore</button>
        </ui.Form>
      </ui.Card>
      {props.others.length ? (
        <ui.Card title="Copy this instance">
          <ui.Form action={`${base}/copy`}>
            <ui.Select
              label="Into"
              name="toInstance"
              options={props.others.map((o) => ({
                value: String(o.id),
                label: `${o.name}${o.production ? " (production)" : ""}`,
              }))}
            />
            <ui.Select
              label="Target"
              name="target"
              options={[
                { value: "instance", label: "that instance" },
                { value: "new", label: "a new database" },
              ]}
            />
            <ui.Field label="New database name" name="dbName" value={suggestedDbName(props.currentDb)} />
            <ui.Field label="Confirm (production targets only)" name="confirm" />
            <button type="submit">Copy (neutralized)</button>
          </ui.Form>
        </ui.Card>
      ) : null}
      <ui.Card title="Rollback copies">
        {props.rollbacks.length === 0 ? (
          <p class="muted">None kept.</p>
        ) : (
          <ul>
            {props.rollbacks.map((r) => (
              <li>
                {r.name} {r.database ? <ui.Badge>database</ui.Badge> : null}{" "}
                {r.filestore ? <ui.Badge>filestore</ui.Badge> : null}
                <ui.Form action={`${base}/rollbacks/${encodeURIComponent(r.name)}/drop`}>
                  <input
                    name="confirm"
                    placeholder={`type ${r.name}`}
                    aria-label={`Confirm dropping ${r.name}`}
                    required
                  />
                  <button type="submit" class="secondary">
                    Drop (admin)
                  </button>
                </ui.Form>
              </li>
            ))}
          </ul>
        )}
      </ui.Card>
    </div>
  );
}
