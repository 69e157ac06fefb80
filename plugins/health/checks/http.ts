import type { CheckDef, Measurement } from "../types.ts";
import { type DatabaseSelection, selectDatabase } from "./odoo-session.ts";

/** Why a request failed, in words an operator recognises. */
export function describeFetchError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err?.code === "ConnectionRefused" || /refused/i.test(err?.message ?? "")) return "connection refused";
  if (/certificate|self.signed|CERT_/i.test(`${err?.code} ${err?.message}`))
    return `TLS error: ${err.message}`;
  return err?.message ?? String(e);
}

async function probe(url: string, signal: AbortSignal): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  // The certificate has its own check: a bad one must not hide the response time.
  const res = await fetch(url, {
    signal,
    redirect: "manual",
    tls: { rejectUnauthorized: false },
  } as RequestInit);
  await res.arrayBuffer().catch(() => {});
  return { status: res.status, ms: performance.now() - t0 };
}

/** `/web/health` (Odoo 16+), else `/web/login`: status and response time. */
export const httpCheck: CheckDef = {
  id: "http",
  label: "HTTP",
  unit: "ms",
  thresholds: { warning: 2000, critical: 5000, direction: "above" },
  timeoutMs: 10_000,
  onTimeout: "critical",
  async run(target, signal): Promise<Measurement> {
    const base = await target.baseUrl();
    let path = "/web/health";
    let r: { status: number; ms: number };
    try {
      r = await probe(base + path, signal);
      if (r.status === 404) {
        path = "/web/login";
        r = await probe(base + path, signal);
      }
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      return { status: "critical", value: null, message: `${base}: ${describeFetchError(e)}` };
    }
    const ms = Math.round(r.ms);
    const data = { response_ms: ms, http_status: r.status };
    if (r.status >= 500)
      return { status: "critical", value: ms, data, message: `${path} answered HTTP ${r.status}` };
    if (r.status >= 400)
      return { status: "warning", value: ms, data, message: `${path} answered HTTP ${r.status}` };
    const answered = `${path} answered HTTP ${r.status} in ${ms} ms`;
    const db = target.instance.dbName;
    if (!db) return { value: ms, data, message: answered };
    // Any Odoo answers /web/health: only the database tells whether it is this instance's.
    let sel: DatabaseSelection;
    try {
      sel = await target.shared("db-selection", () => selectDatabase(base, db, signal));
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      return { status: "critical", value: ms, data, message: `${answered}, then ${describeFetchError(e)}` };
    }
    if (!sel.served)
      return {
        status: "critical",
        value: ms,
        data,
        message: `${base} answers but does not serve database ${db}: ${sel.detail} (another Odoo on this port, or a wrong dbfilter?)`,
      };
    return { value: ms, data, message: `${answered}; serves database ${db}` };
  },
};
