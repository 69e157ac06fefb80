import { type InstanceHandle, ui } from "odoodeck/sdk";
import type { LogsStore } from "../store.ts";

/** "Log errors (24 h): 2 of 2 kinds" on the instance's overview card, from the last scan. */
export async function LogsCard(props: { store: LogsStore; inst: InstanceHandle }) {
  const s = await props.store.lastScan(props.inst.id);
  const href = `/p/logs/i/${props.inst.id}/errors`;
  if (!s)
    return (
      <p class="logs-card">
        <a href={href}>Log errors</a>: <span class="muted">not scanned yet</span>
      </p>
    );
  if (s.error)
    return (
      <p class="logs-card">
        <a href={href}>Log errors</a>: <ui.Badge kind="warn">unreadable</ui.Badge>{" "}
        <small class="muted">{s.error}</small>
      </p>
    );
  return (
    <p class="logs-card">
      <a href={href}>
        {s.errors} error{s.errors === 1 ? "" : "s"} in last {s.hours} h
      </a>{" "}
      {s.errors ? (
        <ui.Badge kind={s.newKinds ? "error" : "warn"}>
          {s.kinds} kind{s.kinds === 1 ? "" : "s"}
          {s.newKinds ? `, ${s.newKinds} new` : ""}
        </ui.Badge>
      ) : (
        <ui.Badge kind="ok">none</ui.Badge>
      )}{" "}
      <small class="muted">
        scanned <ui.Time at={s.scannedAt} />
      </small>
    </p>
  );
}
