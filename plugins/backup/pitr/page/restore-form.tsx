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

export function PitrRestoreCard(props: {
  inst: InstanceHandle;
  currentDb: string | null;
  enabled: boolean;
  window: { from: string; to: string } | null;
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
        </fieldset>
        <input type="hidden" name="neutralize" value="off" />
        <label class="choice">
          <input type="checkbox" name="neutralize" value="on" checked={!inst.production} />
          <span>
            <strong>Neutralize</strong>
            <small class="muted">No outgoing mail, no fetchmail, crons off, credentials scrubbed</small>
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
