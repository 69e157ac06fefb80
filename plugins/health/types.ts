import type { InstanceHandle } from "../../server/sdk/index.ts";

/** What a check concludes. Ordered by severity for "worst of" summaries. */
export type Status = "ok" | "unknown" | "warning" | "critical";
export const SEVERITY: Record<Status, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

export function worst(statuses: Iterable<Status>): Status {
  let w: Status = "ok";
  for (const s of statuses) if (SEVERITY[s] > SEVERITY[w]) w = s;
  return w;
}

/** warning/critical limits; "above": bad when value >= limit, "below": bad when value <= limit. */
export interface Thresholds {
  warning: number;
  critical: number;
  direction: "above" | "below";
}

/** What a check measured. An explicit `status` wins over the thresholds (e.g. HTTP 500). */
export interface Measurement {
  value?: number | null;
  status?: Status;
  message: string;
  /** Extra numbers for metrics and charts (e.g. free bytes next to the free ratio). */
  data?: Record<string, number>;
  /**
   * Default limits known only when measuring (e.g. 70% of the server's memory): they replace the
   * check's static defaults; a per-instance override still wins.
   */
  thresholds?: Thresholds;
}

export interface CheckResult {
  instanceId: number;
  check: string;
  status: Status;
  value: number | null;
  message: string;
  timedOut: boolean;
  data?: Record<string, number>;
  at: string;
  durationMs: number;
}

/** Shared, lazily loaded facts about the instance the checks of one run look at. */
export interface CheckTarget {
  instance: InstanceHandle;
  /** Base URL of the Odoo web server (public URL, else http://<host>:<http_port>). */
  baseUrl(): Promise<string>;
  odoo(): ReturnType<InstanceHandle["odoo"]>;
  /**
   * Runs `fn` once per run and key, so checks that read the same thing (one process sample for
   * memory and CPU) share one round trip to the server.
   */
  shared<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface CheckDef {
  id: string;
  label: string;
  unit?: string;
  thresholds?: Thresholds;
  /** Per-check time limit; the runner's default applies otherwise. */
  timeoutMs?: number;
  /** Status recorded when the check does not answer in time (a hanging HTTP server is down). */
  onTimeout?: Status;
  applies?(inst: InstanceHandle): boolean;
  run(target: CheckTarget, signal: AbortSignal): Promise<Measurement>;
}
