import type { InstanceHandle } from "../../../server/sdk/index.ts";
import type { HealthMonitor } from "../engine/monitor.ts";
import { StatusLight } from "./status.tsx";

/** The small block on an instance's overview card. */
export async function healthCard(mon: HealthMonitor, inst: InstanceHandle) {
  const s = await mon.summary(inst);
  const failing = s.checks.filter((c) => c.shown.status !== "ok").length;
  return (
    <p>
      Health: <StatusLight status={s.status} /> {failing ? `${failing} checks failing` : ""}
    </p>
  );
}
