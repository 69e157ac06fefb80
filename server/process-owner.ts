/**
 * Which process owns a row of shared state (a running operation, an instance lock, a job run).
 * The server and CLI commands started beside it share one store; at start each may only recover
 * (mark interrupted, release) what a process that is gone left behind, never what a live sibling
 * is doing. The owner is "<boot id>:<pid>:<start time>", so a reboot or a reused pid reads as gone.
 */
import { readFileSync } from "node:fs";

function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

/** Start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat); null when gone. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields are counted after the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

const BOOT = bootId();
/** This process. */
export const OWNER = `${BOOT}:${process.pid}:${startTime(process.pid) ?? ""}`;

/** True while the process that wrote `owner` still runs. Rows without one predate owners: gone. */
export function ownerAlive(owner: string | null | undefined): boolean {
  if (!owner) return false;
  const [boot, pidText, start] = owner.split(":");
  if (boot !== BOOT) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return owner === OWNER;
  const now = startTime(pid);
  return now !== null && now === start;
}
