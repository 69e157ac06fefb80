import type { InstanceHandle } from "../../../server/sdk/index.ts";
import { ui } from "../../../server/sdk/index.ts";
import type { RestoreTestStore } from "../restore-test-store.ts";
import type { BackupService } from "../service.ts";
import { isVerified } from "../store.ts";
import { RestoreTestLine } from "./restore-tests-page.tsx";

/**
 * On the instance's overview card: "Last backup: 3 hours ago (verified)" and "Last verified
 * restore: 3 hours ago (backup X, restored in 42 s)", "never", or the last test's FAILED reason.
 */
export async function BackupCard(props: {
  svc: BackupService;
  inst: InstanceHandle;
  restoreTests?: RestoreTestStore;
}) {
  const b = await props.svc.lastBackup(props.inst.id);
  const base = `/p/backup/i/${props.inst.id}`;
  const actions = (
    <p class="row backup-actions">
      <a href={`${base}/backups#backup-now`}>Back up now</a>
      <a href={`${base}/restore`}>Restore</a>
    </p>
  );
  const rt = props.restoreTests;
  const restore = rt ? (
    <p class="restore-test-card">
      <RestoreTestLine lastOk={await rt.lastOk(props.inst.id)} last={await rt.lastFinished(props.inst.id)} />{" "}
      <a href={`/p/backup/i/${props.inst.id}/restore-tests`}>restore tests</a>
    </p>
  ) : null;
  if (!b)
    return (
      <div>
        <p class="backup-card">
          Last backup: <ui.Badge kind="warn">none</ui.Badge>
        </p>
        {restore}
        {actions}
      </div>
    );
  return (
    <div>
      <p class="backup-card">
        Last backup: <ui.Time at={b.finishedAt ?? b.createdAt} />{" "}
        {isVerified(b) ? (
          <ui.Badge kind="ok">verified</ui.Badge>
        ) : (
          <ui.Badge kind="warn">not verified</ui.Badge>
        )}
      </p>
      {restore}
      {actions}
    </div>
  );
}
