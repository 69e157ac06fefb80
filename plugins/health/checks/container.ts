import { type Connection, isAppError } from "../../../server/sdk/index.ts";
import type { CheckDef, CheckTarget, Measurement } from "../types.ts";

/** One JSON object per container: its State plus the restart count, which lives outside State. */
export const INSPECT_FORMAT = '{"State":{{json .State}},"RestartCount":{{json .RestartCount}}}';

/** The part of `docker inspect`'s State the check reads (Docker Engine API ContainerState). */
export interface DockerState {
  Status: string;
  Running?: boolean;
  Paused?: boolean;
  Restarting?: boolean;
  OOMKilled?: boolean;
  Dead?: boolean;
  Pid?: number;
  ExitCode?: number;
  Error?: string;
  StartedAt?: string;
  FinishedAt?: string;
  Health?: {
    Status: string;
    FailingStreak?: number;
    Log?: Array<{ Start?: string; End?: string; ExitCode?: number; Output?: string }>;
  } | null;
}

export interface ContainerInfo {
  state: DockerState;
  restartCount: number;
}

/** Why the container could not be inspected: docker missing or unreachable, or no such container. */
export interface ContainerUnavailable {
  unavailable: string;
  missing?: boolean;
}

/** Parses the output of `docker inspect --format INSPECT_FORMAT`. */
export function parseInspect(stdout: string): ContainerInfo {
  const line = stdout.trim().split("\n")[0] ?? "";
  let raw: { State?: DockerState; RestartCount?: number };
  try {
    raw = JSON.parse(line);
  } catch {
    throw new Error(`unexpected docker inspect output: ${line.slice(0, 120)}`);
  }
  if (!raw?.State || typeof raw.State.Status !== "string")
    throw new Error(`docker inspect printed no State: ${line.slice(0, 120)}`);
  return { state: raw.State, restartCount: Number(raw.RestartCount ?? 0) || 0 };
}

const DOCKER_ZERO_TIME = /^0001-01-01/;
const minutesAgo = (iso: string | undefined, now: number) =>
  iso && !DOCKER_ZERO_TIME.test(iso) && !Number.isNaN(Date.parse(iso))
    ? Math.max(0, Math.round((now - Date.parse(iso)) / 60_000))
    : null;

/** "17 min", "5 h", "3 days". */
export function duration(minutes: number): string {
  if (minutes < 120) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h`;
  return `${Math.floor(minutes / 1440)} days`;
}

/** Restarted within this many minutes, a running container is still a warning. */
export const RECENT_RESTART_MINUTES = 10;

/** Turns a container's state into a check result (pure: unit-tested on real State samples). */
export function assessContainer(name: string, info: ContainerInfo, now = Date.now()): Measurement {
  const s = info.state;
  const restarts = info.restartCount;
  const health = s.Health?.Status ?? null;
  const data = {
    running: s.Status === "running" ? 1 : 0,
    restart_count: restarts,
    exit_code: s.ExitCode ?? 0,
    oom_killed: s.OOMKilled ? 1 : 0,
    ...(health ? { healthy: health === "healthy" ? 1 : 0 } : {}),
  };
  const base = { value: restarts, data };
  const oom = s.OOMKilled ? ", killed for lack of memory (OOMKilled)" : "";
  const restartNote = restarts ? `; restarted ${restarts} time${restarts === 1 ? "" : "s"}` : "";
  if (s.Status === "running") {
    if (health === "unhealthy") {
      const last = s.Health?.Log?.at(-1)?.Output?.trim().split("\n")[0]?.slice(0, 200);
      return {
        ...base,
        status: "critical",
        message: `${name} is running but unhealthy (${s.Health?.FailingStreak ?? "?"} failed health checks in a row${last ? `: ${last}` : ""})${restartNote}`,
      };
    }
    const since = minutesAgo(s.StartedAt, now);
    if (restarts > 0 && since != null && since < RECENT_RESTART_MINUTES)
      return {
        ...base,
        status: "warning",
        message: `${name} is running but restarted ${duration(since)} ago (restart count ${restarts})`,
      };
    if (health === "starting")
      return { ...base, status: "warning", message: `${name} is running, health check starting` };
    return {
      ...base,
      status: "ok",
      message: `${name} is running${since != null ? ` for ${duration(since)}` : ""}${health ? ` (${health})` : ""}${restartNote}`,
    };
  }
  if (s.Status === "paused") return { ...base, status: "warning", message: `${name} is paused` };
  if (s.Status === "restarting")
    return {
      ...base,
      status: "critical",
      message: `${name} is restarting (restart count ${restarts}, last exit code ${s.ExitCode ?? "?"}${oom})`,
    };
  const ended = minutesAgo(s.FinishedAt, now);
  return {
    ...base,
    status: "critical",
    message: `${name} is ${s.Status}${s.Status === "exited" ? ` with code ${s.ExitCode ?? "?"}` : ""}${oom}${ended != null ? ` ${duration(ended)} ago` : ""}${s.Error ? `: ${s.Error}` : ""}${restartNote}`,
  };
}

/** `docker inspect` through the connection; never throws for a missing docker or container. */
export async function inspectContainer(
  conn: Connection,
  name: string,
  signal?: AbortSignal,
): Promise<ContainerInfo | ContainerUnavailable> {
  const argv = ["docker", "inspect", "--type", "container", "--format", INSPECT_FORMAT, "--", name];
  let r: { code: number; stdout: string; stderr: string };
  try {
    r = await conn.exec(argv, { signal, timeoutMs: 15_000 });
  } catch (e) {
    if (isAppError(e) && /^docker not found/.test(e.message))
      return { unavailable: `docker not available on ${conn.label}: the docker command is not installed` };
    throw e;
  }
  const err = r.stderr.trim().split("\n")[0] ?? "";
  if (r.code === 127)
    return { unavailable: `docker not available on ${conn.label}: ${err || "not installed"}` };
  if (r.code !== 0) {
    if (/No such (object|container)/i.test(err))
      return { unavailable: `no container named ${name} on ${conn.label}`, missing: true };
    if (/Cannot connect to the Docker daemon|Is the docker daemon running|docker daemon socket/i.test(err))
      return {
        unavailable: `docker not available on ${conn.label}: ${err.replace(/^error during connect: /i, "")}`,
      };
    return { unavailable: `docker inspect failed on ${conn.label}: ${err || `exit code ${r.code}`}` };
  }
  return parseInspect(r.stdout);
}

/** The container's inspection, shared by the checks of one run. */
export function containerOf(target: CheckTarget, signal?: AbortSignal) {
  return target.shared("container", async () =>
    inspectContainer(await target.instance.connection(), target.instance.container!, signal),
  );
}

export const containerCheck: CheckDef = {
  id: "container",
  label: "Container",
  applies: (inst) => !!inst.container,
  async run(target, signal): Promise<Measurement> {
    const name = target.instance.container!;
    const info = await containerOf(target, signal);
    if ("unavailable" in info)
      return { status: info.missing ? "critical" : "unknown", message: info.unavailable };
    return assessContainer(name, info);
  },
};
