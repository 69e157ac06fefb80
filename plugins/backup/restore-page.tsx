/** The restore page of an instance: restore form, copy form, rollback copies. */
import type { InstanceHandle } from "../../server/sdk/index.ts";
import { ui } from "../../server/sdk/index.ts";
import type { RollbackCopy } from "./swap.ts";

export function RestorePage(props: {
  inst: InstanceHandle;
  rollbacks: RollbackCopy[];
  others: InstanceHandle[];
}) {
  const { inst } = props;
  const base = `/p/backup/i/${inst.id}`;
  const confirm = inst.production ? (
    <ui.Field label={`Type ${inst.name} to confirm (production)`} name="confirm" required />
  ) : null;
  return (
    <div>
      <ui.Card title="Restore a backup">
        <p>
          The backup is restored into a temporary database, checked, {inst.production ? "" : "neutralized, "}
          then swapped in; the current database is kept as a rollback copy.
        </p>
        <ui.Form action={`${base}/restore`}>
          <ui.Field
            label="Backup path on the odoodeck machine"
            name="source"
            placeholder="/backups/x.odoodeck or x.zip"
          />
          <ui.Field label="…or backup id" name="backupId" type="number" />
          <ui.Select
            label="Target"
            name="target"
            options={[
              { value: "instance", label: `This instance (${inst.dbName ?? "its database"})` },
              { value: "new", label: "A new database on this instance's server" },
            ]}
          />
          <ui.Field label="New database name" name="dbName" hint="Only for a new database" />
          <ui.Select
            label="Neutralize"
            name="neutralize"
            options={inst.production ? ["off", "on"] : ["on", "off"]}
          />
          <ui.Select
            label="Database identity"
            name="mode"
            options={[
              { value: "copy", label: "copy (new uuid)" },
              { value: "move", label: "move (keep uuid)" },
            ]}
          />
          {confirm}
          <button type="submit">Restore</button>
        </ui.Form>
      </ui.Card>
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
          <ui.Field label="New database name" name="dbName" />
          <ui.Field label="Confirm (production targets only)" name="confirm" />
          <button type="submit">Copy (neutralized)</button>
        </ui.Form>
      </ui.Card>
      <ui.Card title="Rollback copies">
        {props.rollbacks.length === 0 ? (
          <p>None kept.</p>
        ) : (
          <ul>
            {props.rollbacks.map((r) => (
              <li>
                {r.name} {r.database ? <ui.Badge>database</ui.Badge> : null}{" "}
                {r.filestore ? <ui.Badge>filestore</ui.Badge> : null}
                <ui.Form action={`${base}/rollbacks/${encodeURIComponent(r.name)}/drop`}>
                  <button type="submit">Drop</button>
                </ui.Form>
              </li>
            ))}
          </ul>
        )}
      </ui.Card>
    </div>
  );
}
