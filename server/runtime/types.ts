/**
 * One interface for every way odoodeck runs an Odoo: its systemd unit, its Docker container, or
 * a process odoodeck starts and supervises itself. One contract suite (tests/contract/runtime.test.ts)
 * runs against every kind.
 */

/** What the process manager says, before health is taken into account. */
export type RuntimeState = "running" | "stopped" | "starting" | "stopping" | "error";

/**
 * The state an instance card shows: the runtime's state combined with health and with what
 * odoodeck itself is doing to the instance (an upgrade or a restore).
 */
export type LifecycleState =
  | "running"
  | "stopped"
  | "starting"
  | "upgrading"
  | "restoring"
  | "degraded"
  | "error";

export interface RuntimeStatus {
  state: RuntimeState;
  /** Main process id on the server (inside the container for docker), when known. */
  pid: number | null;
  /** When the current run began (ISO), when known. */
  since: string | null;
  /** The process manager's own words, e.g. "active (running)" or "exited (3)". */
  detail: string;
}

/** How long the last start took to answer, and which page answered. */
export interface Readiness {
  readyMs: number;
  via: "/web/health" | "/web/login";
  at: string;
}

export interface WaitReadyOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Runtime {
  readonly kind: "systemd" | "docker" | "managed";
  /** Human label: "systemd unit odoo", "container odoo17", "managed preview-3 (pid 123)". */
  readonly label: string;
  /** Starts Odoo; resolves once the process manager accepted it (not ready yet: see waitReady). */
  start(): Promise<void>;
  /** Stops Odoo; resolves once no Odoo process of this runtime is left. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  status(): Promise<RuntimeStatus>;
  /** The last `lines` lines of Odoo's output (journal, container log or logfile). */
  logs(opts?: { lines?: number }): Promise<string>;
  /**
   * Resolves once `/web/health` (Odoo 15+) or `/web/login?db=` answers 200; readiness time is
   * counted from the last start/restart. E_NOT_READY after `timeoutMs` (default 60 s).
   */
  waitReady(opts?: WaitReadyOptions): Promise<Readiness>;
  /** The last readiness measured, null before the first. */
  readonly lastReady: Readiness | null;
}

/** The SDK's door to runtimes: `ctx.runtimes`. */
export interface RuntimesApi {
  /**
   * The runtime of a registered instance: its Docker container, else its systemd unit (both as
   * discovery recorded them). E_NO_RUNTIME when it has neither.
   * @example
   * const rt = await ctx.runtimes.for(instance);
   * await rt.restart();
   * const { readyMs } = await rt.waitReady();
   */
  for(instance: import("../sdk/types.ts").InstanceHandle): Promise<Runtime>;
  /**
   * An Odoo that odoodeck runs itself (previews, restore tests, copies): its conf, port, data_dir
   * and logfile are generated under `workDir`; it is stopped when odoodeck stops.
   * @example
   * const rt = ctx.runtimes.managed({ connection: await instance.connection(), name: "preview-7",
   *   odooBin: ["/opt/odoo/odoo-bin"], workDir: "/var/lib/odoodeck/preview-7", db: "preview_7" });
   * await rt.start(); await rt.waitReady();
   */
  managed(spec: import("./managed.ts").ManagedSpec & { instanceId?: number | null }): Runtime & {
    readonly baseUrl: string | null;
  };
  /**
   * Says what odoodeck is doing to an instance, for its card and the `instance.state` event
   * (e.g. "restoring" during a restore, then null to let the runtime speak again).
   * @example ctx.runtimes.mark(instance.id, "upgrading"); try { … } finally { ctx.runtimes.mark(instance.id, null); }
   */
  mark(instanceId: number, state: LifecycleState | null, detail?: string): void;
  /**
   * The card's state, from the runtime and a health probe together; emits `instance.state` when
   * it changed since last seen. Null when the instance has no runtime.
   * @example const s = await ctx.runtimes.lifecycle(instance); // { state: "degraded", detail: "…" }
   */
  lifecycle(
    instance: import("../sdk/types.ts").InstanceHandle,
  ): Promise<{ state: LifecycleState; detail: string } | null>;
}
