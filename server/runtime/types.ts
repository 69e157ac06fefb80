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
