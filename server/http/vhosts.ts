/**
 * Virtual hosts: requests whose Host a plugin claims (e.g. `<preview>.<preview domain>`) never
 * reach odoodeck's own routes; the plugin names an upstream and the core forwards the request,
 * bodies streamed both ways, WebSocket upgrades included (Odoo's bus lives on /websocket). They
 * are dispatched before the Hono app, so odoodeck's session cookie and pages are not served under
 * a claimed name, and a plugin never touches Bun.serve itself.
 */
import type { Server, ServerWebSocket } from "bun";
import type { VirtualHostSpec, VirtualHostsTls } from "../sdk/types.ts";
import { TlsListener } from "./vhosts-tls.ts";

/** Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own, never forwarded. */
const HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

interface WsData {
  upstream: string;
  protocols: string[];
  socket: WebSocket | null;
  pending: Array<string | Uint8Array<ArrayBuffer>>;
}

type AppFetch = (req: Request, server: Server<WsData>) => Response | Promise<Response>;

export class VirtualHosts {
  readonly #specs: Array<VirtualHostSpec & { plugin: string }> = [];
  /** Known once odoodeck's server is about to listen: HTTPS listeners asked for earlier wait for it. */
  #serving: { options: ReturnType<VirtualHosts["serveOptions"]>; hostname: string } | null = null;
  readonly #tls = new Map<string, TlsListener>();

  add(plugin: string, spec: VirtualHostSpec): void {
    this.#specs.push({ ...spec, plugin });
  }

  /** The spec claiming this request's Host (port left out, case-insensitive), if any. */
  async match(req: Request): Promise<VirtualHostSpec | null> {
    const host = (req.headers.get("host") ?? "").toLowerCase().replace(/:\d+$/, "");
    if (!host) return null;
    for (const s of this.#specs) if (await s.matches(host)) return s;
    return null;
  }

  /**
   * The plugin's HTTPS listener for the virtual hosts (replacing its previous one; null stops it).
   * Only claimed hosts are served there: odoodeck's pages and cookies stay on their own listener.
   */
  async listenTls(plugin: string, tls: VirtualHostsTls | null): Promise<{ port: number } | null> {
    const previous = this.#tls.get(plugin);
    this.#tls.delete(plugin);
    previous?.close();
    if (!tls) return null;
    const listener = new TlsListener(tls);
    this.#tls.set(plugin, listener);
    if (this.#serving) listener.open(this.#serving.options, this.#serving.hostname);
    return listener.ready;
  }

  /** Stops every HTTPS listener (odoodeck shutting down). */
  closeTls(): void {
    for (const l of this.#tls.values()) l.close();
    this.#tls.clear();
  }

  /**
   * Bun.serve options: claimed hosts are proxied, everything else goes to `app`. `hostname` is
   * where odoodeck listens: HTTPS listeners of the virtual hosts listen there too by default.
   */
  serveOptions(app: AppFetch, hostname = "127.0.0.1") {
    const options = this.#options(app);
    const tlsOptions = this.#options(() => misdirected());
    this.#serving = { options: tlsOptions, hostname };
    for (const l of this.#tls.values()) l.open(tlsOptions, hostname);
    return options;
  }

  #options(app: AppFetch) {
    return {
      fetch: async (req: Request, server: Server<WsData>): Promise<Response | undefined> => {
        const spec = this.#specs.length ? await this.match(req) : null;
        if (!spec) return app(req, server);
        const target = await spec.resolve(req);
        if (target instanceof Response) return target;
        const url = new URL(req.url);
        const upstream = `${target.upstream.replace(/\/+$/, "")}${url.pathname}${url.search}`;
        if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
          const protocols = (req.headers.get("sec-websocket-protocol") ?? "")
            .split(",")
            .map((p) => p.trim())
            .filter(Boolean);
          const data: WsData = {
            upstream: upstream.replace(/^http/, "ws"),
            protocols,
            socket: null,
            pending: [],
          };
          if (server.upgrade(req, { data })) return undefined;
          return new Response("WebSocket upgrade failed", { status: 400 });
        }
        return forward(req, upstream, target.host);
      },
      websocket: {
        open(ws: ServerWebSocket<WsData>) {
          const up = new WebSocket(ws.data.upstream, ws.data.protocols);
          up.binaryType = "arraybuffer";
          ws.data.socket = up;
          up.onopen = () => {
            for (const m of ws.data.pending.splice(0)) up.send(m);
          };
          up.onmessage = (e) => ws.send(typeof e.data === "string" ? e.data : new Uint8Array(e.data));
          up.onclose = (e) => ws.close(e.code === 1005 ? 1000 : e.code, e.reason);
          up.onerror = () => ws.close(1011, "upstream error");
        },
        message(ws: ServerWebSocket<WsData>, msg: string | Buffer) {
          const m = typeof msg === "string" ? msg : new Uint8Array(msg).slice();
          const up = ws.data.socket;
          // Messages sent before the upstream answered wait for it rather than being lost.
          if (up?.readyState === WebSocket.OPEN) up.send(m);
          else ws.data.pending.push(m);
        },
        close(ws: ServerWebSocket<WsData>) {
          ws.data.socket?.close();
        },
      },
    };
  }
}

/** 421: this listener serves only the claimed hosts; odoodeck itself is on its own address. */
function misdirected(): Response {
  return new Response("No preview answers to this name here", { status: 421 });
}

/** Forwards one HTTP request, streaming the body both ways; redirects are the browser's. */
async function forward(req: Request, upstream: string, hostHeader?: string): Promise<Response> {
  const headers = new Headers(req.headers);
  for (const h of HOP) headers.delete(h);
  const original = req.headers.get("host");
  if (original) headers.set("x-forwarded-host", original);
  headers.set("x-forwarded-proto", new URL(req.url).protocol.replace(":", ""));
  if (hostHeader) headers.set("host", hostHeader);
  try {
    const res = await fetch(upstream, {
      method: req.method,
      headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : req.body,
      redirect: "manual",
      // Bun streams a request body only when told it may (duplex), like undici.
      ...({ duplex: "half" } as object),
    });
    const out = new Headers(res.headers);
    for (const h of HOP) out.delete(h);
    // fetch already decoded the body: its length and encoding are no longer what was sent.
    if (out.has("content-encoding")) {
      out.delete("content-encoding");
      out.delete("content-length");
    }
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
  } catch {
    return badGateway();
  }
}

/**
 * The upstream refused, reset or could not be reached (its server is down, its SSH link is
 * being reopened, Odoo restarts): a short page that tries again by itself, never a hang.
 */
function badGateway(): Response {
  const html =
    '<!doctype html><html><head><meta charset="utf-8"><title>Bad gateway</title><meta http-equiv="refresh" content="5"></head>' +
    '<body style="font-family:sans-serif;margin:4rem auto;max-width:32rem"><h1>The preview does not answer</h1>' +
    "<p>It may be restarting, or its server may be unreachable. This page tries again every 5 seconds.</p></body></html>";
  return new Response(html, {
    status: 502,
    headers: { "Content-Type": "text/html; charset=utf-8", "Retry-After": "5" },
  });
}
