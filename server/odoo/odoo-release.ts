import type { Connection } from "../connections/types.ts";
import type { InstanceSettings } from "./instance-settings.ts";

/** Odoo's own version (not base's module version "17.0.1.3") and where it was read. */
export interface OdooRelease {
  /** e.g. "17.0-20240709": the series and the build of a packaged or nightly Odoo. */
  version: string;
  source: "log" | "http";
}

// Only the end of a big log is read: the newest start is what runs now.
const LOG_TAIL_BYTES = 64 * 1024 * 1024;
const LOG_SCRIPT =
  'tail -c "$2" -- "$1" | grep -a -o "odoo: Odoo version [^ ]*" | tail -n 1 | cut -d " " -f 4';

/** `Odoo version 17.0-20240709`, the line Odoo writes at every start, from its logfile. */
export async function releaseFromLog(conn: Connection, logfile: string): Promise<string | null> {
  const r = await conn
    .exec(["sh", "-c", LOG_SCRIPT, "sh", logfile, String(LOG_TAIL_BYTES)], { timeoutMs: 10_000 })
    .catch(() => null);
  const v = r?.code === 0 ? r.stdout.trim() : "";
  return /^\d+\.\d+\S*$/.test(v) ? v : null;
}

/** `server_version` from `/web/webclient/version_info`, a JSON-RPC route that needs no database. */
export async function releaseFromHttp(baseUrl: string, timeoutMs = 2_000): Promise<string | null> {
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, "")}/web/webclient/version_info`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", method: "call", params: {} }),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
      tls: { rejectUnauthorized: false },
    } as RequestInit);
    const body = (await res.json()) as { result?: { server_version?: unknown } };
    const v = body?.result?.server_version;
    return typeof v === "string" && /^\d+\.\d+/.test(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * Odoo's version: the newest start line of its logfile, else what its web server reports (the
 * public URL, or the HTTP port on the machine odoodeck runs on).
 *
 * @example
 * await odooRelease(conn, settings, null) // { version: "17.0-20240709", source: "log" }
 */
export async function odooRelease(
  conn: Connection,
  settings: Pick<InstanceSettings, "logfile" | "httpPort">,
  publicUrl: string | null,
): Promise<OdooRelease | null> {
  if (settings.logfile) {
    const v = await releaseFromLog(conn, settings.logfile);
    if (v) return { version: v, source: "log" };
  }
  const base = publicUrl ?? (conn.kind === "local" ? `http://127.0.0.1:${settings.httpPort}` : null);
  const v = base ? await releaseFromHttp(base) : null;
  return v ? { version: v, source: "http" } : null;
}
