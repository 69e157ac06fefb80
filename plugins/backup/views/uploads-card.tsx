/** The user's uploaded backups (an admin sees everyone's): path to restore from, and delete. */
import { ui } from "../../../server/sdk/index.ts";
import type { UploadRecord } from "../copies/uploads.ts";

export function UploadsCard(props: { uploads: UploadRecord[]; names: Map<number, string>; ttlDays: number }) {
  return (
    <ui.Card title="Uploaded backups">
      <p class="muted">
        Restorable from their path by an operator of the instance they were uploaded from; deleted after{" "}
        {props.ttlDays} day(s).
      </p>
      <ui.Table
        id="backup-uploads"
        rows={props.uploads}
        empty="No uploads."
        columns={[
          { label: "File", render: (u) => <code>{u.path}</code> },
          { label: "From", render: (u) => props.names.get(u.instanceId) ?? `#${u.instanceId}` },
          { label: "By", render: (u) => u.username },
          { label: "Size", render: (u) => ui.bytes(u.bytes) },
          { label: "SHA-256", render: (u) => <code title={u.sha256}>{u.sha256.slice(0, 12)}…</code> },
          { label: "Uploaded", render: (u) => <ui.Time at={u.createdAt} /> },
          {
            label: "",
            render: (u) => (
              <ui.Form action={`/p/backup/uploads/${u.id}/delete`}>
                <button type="submit" class="secondary">
                  Delete
                </button>
              </ui.Form>
            ),
          },
        ]}
      />
    </ui.Card>
  );
}
