/**
 * The point-in-time restore form of an instance's Restore tab: the recoverable window in words,
 * a time picker limited to it (UTC, to the second), where the copy goes (a new database or in
 * place of the instance's), neutralization, and the instance's name typed back. Posting runs the
 * declared operation `backup.pitr-restore`, so the page asks exactly what REST, the CLI and MCP ask.
 */
import type { InstanceHandle } from "../../../../server/sdk/index.ts";
import { ui } from "../../../../server/sdk/index.ts";
import { suggestedDbName } from "../../views/restore-page.tsx";
import { pickerValue, windowInWords } from "../window-words.ts";

/** Whether the whole cluster can be rewound here (the physical path), and if not, why. */
export type RewindChoice =
  | { ok: true; dataDir: string; bytes: number; rollbacks: string[] }
  | { ok: false; why: string; hint: string | null };

export function PitrRestoreCard(props: {
  inst: InstanceHandle;
  currentDb: string | null;
  enabled: boolean;
  window: { from: string; to: string } | null;
  rewind: RewindChoice;
}) {
  const { inst, window } = props;
  if (!props.enabled)
    return (
      <ui.Card title="Restore to a point in time">
        <p class="muted" id="pitr-off">
          Continuous WAL is not enabled for {inst.name}: there is no point in time to go back to yet. An admin
          enables it (operation backup.pitr-enable); from the first base backup on, any second up to the
          newest WAL received can be restored.
        </p>
      </ui.Card>
    );
  if (!window)
    return (
      <ui.Card title="Restore to a point in time">
        <p class="muted" id="pitr-window">
          No recoverable window yet: it opens when the first base backup has finished and WAL has arrived.
        </p>
      </ui.Card>
    );
  return (
    <ui.Card title="Restore to a point in time">
      <p id="pitr-window">
        {inst.name}'s database can be brought back to any moment <strong>{windowInWords(window)}</strong>.
      </p>
      <p class="muted">
        A scratch copy of the server replays its WAL up to that moment; the database is taken out of it and
        restored like a backup (temporary database, checks, neutralization), with the filestore of the newest
        filestore backup taken before it.
      </p>
      <ui.Form action={`/p/backup/i/${inst.id}/pitr-restore`} id="pitr-form">
        <label class="field">
          <span>Moment (UTC)</span>
          <input
            type="datetime-local"
            name="at"
            id="pitr-at"
            step="1"
            required
            min={pickerValue(window.from, true)}
            max={pickerValue(window.to)}
            value={pickerValue(window.to)}
          />
        </label>
        <fieldset class="pick">
          <legend>Where it goes</legend>
          <label class="choice">
            <input type="radio" name="target" value="new" checked />
            <span>
              <strong>A new database on {inst.serverName}</strong>
              <small class="muted">
                {inst.name} keeps running on {props.currentDb ?? "its database"}
              </small>
            </span>
          </label>
          <ui.Field label="New database name" name="dbName" value={suggestedDbName(props.currentDb)} />
          <label class="choice">
            <input type="radio" name="target" value="instance" />
            <span>
              <strong>
                Replace {inst.name}'s database{inst.production ? " (production: admins only)" : ""}
              </strong>
              <small class="muted">
                Swapped in after the checks; the current database is kept as a rollback copy
              </small>
            </span>
          </label>
          <RewindRadio inst={inst} rewind={props.rewind} />
        </fieldset>
        <input type="hidden" name="neutralize" value="off" />
        <label class="choice">
          <input type="checkbox" name="neutralize" value="on" checked={!inst.production} />
          <span>
            <strong>Neutralize</strong>
            <small class="muted">
              No outgoing mail, no fetchmail, crons off, credentials scrubbed (a new or replaced database; a
              cluster rewind puts production back as it was)
            </small>
          </span>
        </label>
        <ui.Field
          label={`Type ${inst.name} to confirm (only when replacing production${inst.production ? ": an admin" : ""})`}
          name="confirm"
          autocomplete="off"
        />
        <button type="submit">Restore to this moment</button>
      </ui.Form>
    </ui.Card>
  );
}

function RewindRadio(props: { inst: InstanceHandle; rewind: RewindChoice }) {
  const r = props.rewind;
  if (!r.ok)
    return (
      <p class="muted" id="pitr-cluster-off">
        Rewinding the whole PostgreSQL cluster (the fast, physical path) is not possible here: {r.why}
        {r.hint ? ` — ${r.hint}` : ""}
      </p>
    );
  const gb = (r.bytes / 1073741824).toFixed(1);
  return (
    <label class="choice" id="pitr-cluster">
      <input type="radio" name="target" value="cluster" />
      <span>
        <strong>
          Rewind {props.inst.name}'s whole PostgreSQL cluster (fastest
          {props.inst.production ? "; production: admins only" : ""})
        </strong>
        <small class="muted">
          The cluster ({gb} GB) is recovered beside the live one while it keeps serving, then swapped in:{" "}
          {props.inst.name} stops for seconds, not for a copy of the database. The cluster as it is now is
          kept at {r.dataDir}
          .before-rewind-…
          {r.rollbacks.length
            ? `; its rollback copies (${r.rollbacks.join(", ")}) go back in time with it`
            : ""}
          . The filestore keeps every file. Continuous WAL starts a new archive from the rewound cluster.
        </small>
      </span>
    </label>
  );
}
