import { connect } from "node:tls";
import type { CheckDef, Measurement } from "../types.ts";

/** Reads the peer certificate's expiry without judging it (an expired one is what we look for). */
export function certificateExpiry(host: string, port: number, signal: AbortSignal): Promise<Date> {
  return new Promise((resolve, reject) => {
    const sock = connect({
      host,
      port,
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
      rejectUnauthorized: false,
    });
    const stop = () => {
      sock.destroy();
      reject(signal.reason ?? new Error("aborted"));
    };
    signal.addEventListener("abort", stop, { once: true });
    sock.once("secureConnect", () => {
      const cert = sock.getPeerCertificate();
      signal.removeEventListener("abort", stop);
      sock.end();
      if (!cert?.valid_to) reject(new Error("the server sent no certificate"));
      else resolve(new Date(cert.valid_to));
    });
    sock.once("error", (e) => {
      signal.removeEventListener("abort", stop);
      reject(e);
    });
  });
}

/** Days until the public URL's certificate expires (negative once expired). */
export const tlsCheck: CheckDef = {
  id: "tls",
  label: "TLS certificate",
  unit: "days",
  thresholds: { warning: 14, critical: 7, direction: "below" },
  applies: (inst) => !!inst.publicUrl?.startsWith("https://"),
  async run(target, signal): Promise<Measurement> {
    const url = new URL(await target.baseUrl());
    const port = Number(url.port || 443);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const expires = await certificateExpiry(host, port, signal);
    const days = Math.floor(((expires.getTime() - Date.now()) / 86_400_000) * 10) / 10;
    const when = expires.toISOString().slice(0, 10);
    return {
      value: days,
      data: { expires_at_seconds: Math.round(expires.getTime() / 1000) },
      message: days < 0 ? `certificate EXPIRED on ${when}` : `certificate expires on ${when} (${days} days)`,
    };
  },
};
