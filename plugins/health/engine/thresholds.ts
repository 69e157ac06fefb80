import type { CheckDef, Measurement, Status, Thresholds } from "../types.ts";

/** Per-instance override of one check, as stored in health_overrides. */
export interface Override {
  check: string;
  warning: number | null;
  critical: number | null;
  disabled: boolean;
}

/**
 * The check's default thresholds (or the defaults its measurement computed) with an instance's
 * override applied on top.
 */
export function effectiveThresholds(
  def: CheckDef,
  ov?: Override | null,
  measured?: Thresholds,
): Thresholds | undefined {
  const base = measured ?? def.thresholds;
  if (!base) return undefined;
  return {
    direction: base.direction,
    warning: ov?.warning ?? base.warning,
    critical: ov?.critical ?? base.critical,
  };
}

/** Maps a measurement to a status: explicit status first, then thresholds, else ok. */
export function evaluate(m: Measurement, t: Thresholds | undefined): Status {
  if (m.status) return m.status;
  if (m.value == null || !Number.isFinite(m.value)) return t ? "unknown" : "ok";
  if (!t) return "ok";
  const bad = (limit: number) => (t.direction === "above" ? m.value! >= limit : m.value! <= limit);
  if (bad(t.critical)) return "critical";
  if (bad(t.warning)) return "warning";
  return "ok";
}
