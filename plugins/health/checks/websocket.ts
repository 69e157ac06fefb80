import { randomBytes } from "node:crypto";
import { type Socket, connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { CheckDef, Measurement } from "../types.ts";
import { selectDatabase } from "./odoo-session.ts";

/** Sends a WebSocket upgrade to `/websocket` and returns the HTTP status of the answer. */
export function upgradeStatus(
  base: string,
  signal: AbortSignal,
  cookie: string | null = null,
): Promise<number> {
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
          ...(cookie ? [`Cookie: ${cookie}`] : []),
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

/**
 * `/websocket` must upgrade (101): a proxy that drops Upgrade headers breaks Odoo's live UI.
 * The route needs a database: with several databases and no dbfilter, Odoo answers 404 to a
 * request without a session, so the check selects the instance's database first, as a browser
 * does, and blames the proxy only when the upgrade still fails.
 */
export const websocketCheck: CheckDef = {
  id: "websocket",
  label: "WebSocket",
  onTimeout: "warning",
  async run(target, signal): Promise<Measurement> {
    const base = await target.baseUrl();
    const db = target.instance.dbName;
    let status: number;
    let how = "";
    try {
      status = await upgradeStatus(base, signal);
      if (status !== 101 && db) {
        const sel = await target.shared("db-selection", () => selectDatabase(base, db, signal));
        if (sel.cookie) {
          const first = status;
          status = await upgradeStatus(base, signal, sel.cookie);
          how = ` with a session on database ${db} (HTTP ${first} without one)`;
        }
      }
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      return { status: "critical", message: `/websocket unreachable: ${(e as Error).message}` };
    }
    if (status === 101) return { status: "ok", value: status, message: `/websocket upgrades (101)${how}` };
    return {
      status: "warning",
      value: status,
      message: `/websocket answered HTTP ${status} instead of 101${how}: the proxy likely does not forward Upgrade/Connection headers to gevent_port`,
    };
  },
};
