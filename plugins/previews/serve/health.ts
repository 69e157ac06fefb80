/**
 * A preview's health as its status card shows it: is its Odoo process up, does /web/health
 * answer (and how fast), how long the last start took, when it was last used.
 */
import type { PreviewsService } from "../service.ts";
import type { PreviewRecord } from "../store.ts";

export interface PreviewHealth {
  process: { state: string; pid: number | null; since: string | null } | null;
  /** GET /web/health through the preview's tunnel (its own port locally); null when it does not run. */
  web: { ok: boolean; status: number | null; ms: number; detail: string } | null;
  readyMs: number | null;
}

export async function previewHealth(svc: PreviewsService, p: PreviewRecord): Promise<PreviewHealth> {
  const rt = svc.runtimes.get(p.name);
  if (!rt) return { process: null, web: null, readyMs: null };
  const st = await rt.status().catch(() => null);
  const process = st ? { state: st.state, pid: st.pid, since: st.since } : null;
  return {
    process,
    // Only a running preview is probed: a tunnel is not opened for one that failed or stopped.
    web: rt.baseUrl && p.status === "running" ? await reach(svc, p, rt) : null,
    readyMs: rt.lastReady?.readyMs ?? null,
  };
}

/** Through the preview's tunnel (its server's loopback is not odoodeck's). */
async function reach(
  svc: PreviewsService,
  p: PreviewRecord,
  rt: Parameters<PreviewsService["upstream"]>[1],
): Promise<PreviewHealth["web"]> {
  try {
    return await probe(await svc.upstream(p, rt));
  } catch (e) {
    return { ok: false, status: null, ms: 0, detail: `cannot be reached: ${(e as Error).message}` };
  }
}

/** A short timeout: the page must render even when the preview hangs. */
async function probe(baseUrl: string): Promise<PreviewHealth["web"]> {
  const t0 = performance.now();
  try {
    const res = await fetch(new URL("/web/health", baseUrl), { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    const ms = Math.round(performance.now() - t0);
    return { ok: res.ok, status: res.status, ms, detail: res.ok ? "answers" : `HTTP ${res.status}` };
  } catch (e) {
    const ms = Math.round(performance.now() - t0);
    const timedOut = (e as Error).name === "TimeoutError";
    return { ok: false, status: null, ms, detail: timedOut ? "no answer within 3 s" : "refuses connections" };
  }
}
