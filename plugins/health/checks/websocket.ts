import { randomBytes } from "node:crypto";
import { type Socket, connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { CheckDef, Measurement } from "../types.ts";

/** Sends a WebSocket upgrade to `/websocket` and returns the HTTP status of the answer. */
export function upgradeStatus(base: string, signal: AbortSignal): Promise<number> {
  const url = new URL("/websocket", base);
  const https = url.protocol === "https:";
  const port = Number(url.port || (https ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    const sock: Socket = https
      ? tlsConnect({
          host,
          port,
          servername: /^[\d.]+$|:/.test(host) ? undefined : host,
          rejectUnauthorized: false,
        })
      : netConnect({ host, port });
    let buf = "";
    const done = (fn: () => void) => {
      signal.removeEventListener("abort", abort);
      sock.destroy();
      fn();
    };
    const abort = () => done(() => reject(signal.reason));
    signal.addEventListener("abort", abort, { once: true });
    sock.once(https ? "secureConnect" : "connect", () => {
      sock.write(
        [
          `GET ${url.pathname} HTTP/1.1`,
          `Host: ${url.host}`,
          "Upgrade: websocket",
          "Connection: Upgrade",
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}`,
          "Sec-WebSocket-Version: 13",
          `Origin: ${url.origin}`,
          "",
          "",
        ].join("\r\n"),
      );
    });
    sock.on("data", (chunk) => {
      buf += chunk.toString("latin1");
      const eol = buf.indexOf("\r\n");
      if (eol < 0) return;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf.slice(0, eol));
      done(() => (m ? resolve(Number(m[1])) : reject(new Error(`not an HTTP answer: ${buf.slice(0, 40)}`))));
    });
    sock.once("error", (e) => done(() => reject(e)));
    sock.once("end", () =>
      done(() => reject(new Error("the server closed the connection without answering"))),
    );
  });
}

/** `/websocket` must upgrade (101): a proxy that drops Upgrade headers breaks Odoo's live UI. */
export const websocketCheck: CheckDef = {
  id: "websocket",
  label: "WebSocket",
  onTimeout: "warning",
  async run(target, signal): Promise<Measurement> {
    const base = await target.baseUrl();
    let status: number;
    try {
      status = await upgradeStatus(base, signal);
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      return { status: "critical", message: `/websocket unreachable: ${(e as Error).message}` };
    }
    if (status === 101) return { status: "ok", value: status, message: "/websocket upgrades (101)" };
    return {
      status: "warning",
      value: status,
      message: `/websocket answered HTTP ${status} instead of 101: the proxy likely does not forward Upgrade/Connection headers to gevent_port`,
    };
  },
};
