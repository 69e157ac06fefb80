import type { HealthStore } from "../store.ts";

export const UPTIME_WINDOWS = [
  { key: "24h", label: "24 h", ms: 86_400_000 },
  { key: "7d", label: "7 d", ms: 7 * 86_400_000 },
  { key: "30d", label: "30 d", ms: 30 * 86_400_000 },
] as const;

/** Share of runs that were up (HTTP answered and Odoo processes found), per window; null without data. */
export async function uptime(
  store: HealthStore,
  instanceId: number,
  now = Date.now(),
): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {};
  for (const w of UPTIME_WINDOWS) {
    const { total, up } = await store.upCounts(instanceId, new Date(now - w.ms).toISOString());
    out[w.key] = total ? Math.round((up / total) * 10000) / 100 : null;
  }
  return out;
}
