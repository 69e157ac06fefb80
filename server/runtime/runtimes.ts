/**
 * The core's runtimes: one Runtime per registered instance (its container or unit), the managed
 * Odoos odoodeck started (stopped with it), and each instance's lifecycle state, published as
 * `instance.state` events when it changes so notifications and webhooks can carry them.
 */
import type { TypedBus } from "../events/bus.ts";
import { AppError, isAppError } from "../errors.ts";
import type { InstanceHandle } from "../sdk/types.ts";
import { DockerRuntime } from "./docker.ts";
import { ManagedRuntime, type ManagedSpec } from "./managed.ts";
import { PolledRuntime, type ReachSpec } from "./polled-runtime.ts";
import { probeOdoo } from "./readiness.ts";
import { SystemdRuntime } from "./systemd.ts";
import type { LifecycleState, Runtime, RuntimesApi, RuntimeState } from "./types.ts";

const BUSY: LifecycleState[] = ["starting", "upgrading", "restoring"];
const FROM_RUNTIME: Record<RuntimeState, LifecycleState> = {
  running: "running",
  starting: "starting",
  stopping: "stopped",
  stopped: "stopped",
  error: "error",
};

export class Runtimes implements RuntimesApi {
  /** Keyed by id, unit and container: an edited instance record gets a fresh runtime. */
  #byInstance = new Map<string, Runtime>();
  #managed = new Set<ManagedRuntime>();
  /** Last state published per instance, and what odoodeck marked it as doing. */
  #seen = new Map<number, LifecycleState>();
  #marked = new Map<number, { state: LifecycleState; detail: string }>();

  constructor(private readonly bus: TypedBus) {}

  async for(instance: InstanceHandle): Promise<Runtime> {
    const key = `${instance.id}\u0000${instance.service ?? ""}\u0000${instance.container ?? ""}`;
    const cached = this.#byInstance.get(key);
    if (cached) return cached;
    if (!instance.container && !instance.service)
      throw new AppError("E_NO_RUNTIME", `${instance.name} has no systemd unit or container on record`, {
        hint: "Set its service (systemd unit) or container on the instance page, or run discovery again",
      });
    const conn = await instance.connection();
    const reach = await reachOf(instance);
    const rt = instance.container
      ? new DockerRuntime(conn, instance.container, reach)
      : new SystemdRuntime(conn, instance.service!, reach);
    this.#byInstance.set(key, rt);
    return rt;
  }

  managed(spec: ManagedSpec & { instanceId?: number | null }): ManagedRuntime {
    const rt = new ManagedRuntime({
      ...spec,
      onEvent: (e) => {
        spec.onEvent?.(e);
        if (e.type === "crashed")
          this.bus.emit("runtime.crashed", {
            instanceId: spec.instanceId ?? null,
            name: spec.name,
            status: "crashed",
            exitCode: e.exitCode,
            attempt: e.attempt,
            retryInMs: e.retryInMs,
          });
        if (spec.instanceId != null)
          this.#publish(
            spec.instanceId,
            e.type === "crashed" ? "error" : "starting",
            `${e.type} (${e.attempt})`,
          );
      },
    });
    this.#managed.add(rt);
    return rt;
  }

  mark(instanceId: number, state: LifecycleState | null, detail = ""): void {
    if (state) this.#marked.set(instanceId, { state, detail });
    else this.#marked.delete(instanceId);
    if (state) this.#publish(instanceId, state, detail);
  }

  /** What odoodeck marked the instance as doing (starting, upgrading, restoring), if anything. */
  marked(instanceId: number): LifecycleState | null {
    return this.#marked.get(instanceId)?.state ?? null;
  }

  async lifecycle(instance: InstanceHandle): Promise<{ state: LifecycleState; detail: string } | null> {
    const mark = this.#marked.get(instance.id);
    if (mark && BUSY.includes(mark.state)) return mark;
    let rt: Runtime;
    try {
      rt = await this.for(instance);
    } catch (e) {
      if (isAppError(e) && e.code === "E_NO_RUNTIME") return null;
      throw e;
    }
    const s = await rt.status().catch((e: Error) => ({ state: "error" as const, detail: e.message }));
    let state = FROM_RUNTIME[s.state];
    let detail = s.detail;
    if (state === "running" && rt instanceof PolledRuntime) {
      // Running but not answering is what a user calls degraded (workers stuck, DB gone).
      const via = await probeOdoo(await instance.connection(), rt.reachUrl, instance.dbName, 3000);
      if (!via) [state, detail] = ["degraded", `${detail}; ${rt.reachUrl} does not answer`];
    }
    this.#publish(instance.id, state, detail);
    return { state, detail };
  }

  /** Publishes a state change (never a repeat) as an `instance.state` event. */
  #publish(instanceId: number, state: LifecycleState, detail: string): void {
    const previous = this.#seen.get(instanceId) ?? null;
    if (previous === state) return;
    this.#seen.set(instanceId, state);
    this.bus.emit("instance.state", {
      instanceId,
      status: state,
      previous,
      detail,
      at: new Date().toISOString(),
    });
  }

  /** Stops every managed Odoo: they live and die with odoodeck. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#managed].map((rt) => rt.stop().catch(() => {})));
  }
}

/** Where Odoo answers, seen from its server: 127.0.0.1 and the conf's http_port. */
async function reachOf(instance: InstanceHandle): Promise<ReachSpec> {
  let port = 8069;
  let iface = "127.0.0.1";
  try {
    const { settings, conf } = await instance.odoo();
    port = settings.httpPort;
    const bound = conf.options.http_interface;
    if (bound && bound !== "0.0.0.0" && bound !== "::") iface = bound;
  } catch {
    // An unreadable conf (e.g. inside a container) leaves Odoo's defaults.
  }
  if (instance.container && instance.publicUrl)
    return { baseUrl: instance.publicUrl.replace(/\/+$/, ""), db: instance.dbName };
  return { baseUrl: `http://${iface}:${port}`, db: instance.dbName };
}
