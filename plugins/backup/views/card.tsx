import type { InstanceHandle } from "../../../server/sdk/index.ts";
import { ui } from "../../../server/sdk/index.ts";
import type { BackupService } from "../service.ts";
import { isVerified } from "../store.ts";

/** "Last backup: 3 hours ago (verified)" on the instance's overview card. */
export async function BackupCard(props: { svc: BackupService; inst: InstanceHandle }) {
  const b = await props.svc.lastBackup(props.inst.id);
  if (!b)
    return (
      <p class="backup-card">
        Last backup: <ui.Badge kind="warn">none</ui.Badge>
      </p>
    );
  return (
    <p class="backup-card">
      Last backup: <ui.Time at={b.finishedAt ?? b.createdAt} />{" "}
      {isVerified(b) ? (
        <ui.Badge kind="ok">verified</ui.Badge>
      ) : (
        <ui.Badge kind="warn">not verified</ui.Badge>
      )}
    </p>
  );
}
