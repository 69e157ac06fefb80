import type { InstanceHandle } from "../../../server/sdk/index.ts";
import { ui } from "../../../server/sdk/index.ts";
import type { NeutralizeReportStore } from "../neutralize/neutralize-report-store.ts";
import type { RestoreTestStore } from "../restore-tests/restore-test-store.ts";
import type { BackupService } from "../service.ts";
import { isVerified } from "../store.ts";
import { NeutralizeSummary } from "./neutralize-report-view.tsx";
import { RestoreTestLine } from "./restore-tests-page.tsx";

/**
 * On the instance's overview card: "Last backup: 3 hours ago (verified)" and "Last verified
 * restore: 3 hours ago (backup X, restored in 42 s)", "never", or the last test's FAILED reason.
 */
export async function BackupCard(props: {
  svc: BackupService;
  inst: InstanceHandle;
  restoreTests?: RestoreTestStore;
  reports?: NeutralizeReportStore;
}) {
  const b = await props.svc.lastBackup(props.inst.id);
  const neutralized = await ownReport(props.inst, props.reports);
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
        {neutralized}
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
      {neutralized}
      {actions}
    </div>
  );
}

/** When a neutralized restore or copy replaced the instance's own database: its report's summary. */
async function ownReport(inst: InstanceHandle, reports?: NeutralizeReportStore) {
  const own = (await reports?.list(inst.id))?.find(
    (r) => r.target === "instance" && (!inst.dbName || r.dbName === inst.dbName),
  );
  return own ? (
    <p class="neutralize-card">
      <NeutralizeSummary rec={own} />
    </p>
  ) : null;
}
