import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import type { OperationSnapshot } from "../sdk/types.ts";

/**
 * Resolves with the operation's final snapshot, calling `onUpdate` on each progress event. Uses
 * the event bus, so it works for any operation whoever started it (and one already finished).
 */
export function waitForOperation(
  core: Core,
  id: string,
  onUpdate?: (s: OperationSnapshot) => void,
): Promise<OperationSnapshot> {
  return new Promise((resolve, reject) => {
    const offs: Array<() => void> = [];
    const finish = (s: OperationSnapshot) => {
      for (const off of offs) off();
      resolve(s);
    };
    offs.push(core.bus.on("operation.finished", (s) => (s.id === id ? finish(s) : undefined)));
    if (onUpdate) offs.push(core.bus.on("operation.updated", (s) => (s.id === id ? onUpdate(s) : undefined)));
    const live = core.operations.get(id);
    if (live && live.status !== "running") return finish(live);
    if (live) return;
    core.operations.load(id).then((found) => {
      if (!found) {
        for (const off of offs) off();
        reject(new AppError("E_NOT_FOUND", `No operation ${id}`));
      } else if (found.snap.status !== "running") finish(found.snap);
    }, reject);
  });
}

/** One line of progress: the running steps with percent or bytes. */
export function progressLine(s: OperationSnapshot): string {
  const running = s.steps.filter((x) => x.status === "running");
  return running
    .map((x) =>
      x.percent != null
        ? `${x.name} ${x.percent.toFixed(0)}%`
        : x.bytesDone != null
          ? `${x.name} ${(x.bytesDone / 1048576).toFixed(1)} MiB`
          : x.name,
    )
    .join(" | ");
}

/** How far along: done steps (running ones count by their percent) out of all steps. */
export function progressOf(s: OperationSnapshot): { progress: number; total: number } {
  let done = 0;
  for (const x of s.steps)
    if (x.status === "ok" || x.status === "skipped") done += 1;
    else if (x.status === "running" && x.percent != null) done += x.percent / 100;
  return { progress: Math.round(done * 100) / 100, total: Math.max(1, s.steps.length) };
}
