/**
 * Real HTTP(S) servers on loopback standing in for Odoo: healthy, old (no /web/health), slow,
 * failing, refusing, and one with an expired certificate. Started per test file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type OdooRouting, OdooSessions } from "./odoo-routing.ts";

export interface FakeOdoo {
  url: string;
  stop(): void;
}

/**
 * 200 on /web/health and a real WebSocket upgrade on /websocket, routed to databases as Odoo 17
 * does (see odoo-routing.ts): by default one database that answers to any name; `routing` gives
 * several, a dbfilter or list_db = False. `/websocket` needs a request with a database, so with
 * several databases it answers 404 until the session has selected one. `state.down` flips
 * everything to 500.
 */
export function healthyOdoo(state: { down?: boolean } = {}, routing: OdooRouting = {}): FakeOdoo {
  const odoo = new OdooSessions(routing);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req, srv) {
      const path = new URL(req.url).pathname;
      if (state.down) return new Response("Internal Server Error", { status: 500 });
      if (path === "/web/health") return Response.json({ status: "pass" });
      const rpc = await odoo.jsonRpc(req, path);
      if (rpc) return rpc;
      if (path === "/web/login") return odoo.login(req);
      if (path === "/websocket") {
        if (!odoo.session(req).db) return new Response("Not Found", { status: 404 });
        if (routing.proxyDropsUpgrade)
          return new Response("Empty or missing header(s): upgrade", { status: 400 });
        if (srv.upgrade(req)) return undefined;
      }
      return new Response("<html>login</html>", { headers: { "Content-Type": "text/html" } });
    },
    websocket: { message() {} },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

/** Odoo 15: /web/health is a 404, /web/login answers. */
export function oldOdoo(): FakeOdoo {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => new Response("x", { status: new URL(req.url).pathname === "/web/login" ? 200 : 404 }),
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

export function failingOdoo(status = 500): FakeOdoo {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("boom", { status }) });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

/** Accepts the connection and never answers. */
export function slowOdoo(sleepMs = 60_000): FakeOdoo {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    fetch: async () => {
      await Bun.sleep(sleepMs);
      return new Response("late");
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

/** A port where nothing listens (bound, then closed). */
export function refusingUrl(): string {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return `http://127.0.0.1:${port}`;
}

/** A self-signed certificate valid from 2020-01-01 to 2020-02-01, made with `openssl ca`. */
export async function expiredCertificate(): Promise<{ cert: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), "health-cert-"));
  try {
    writeFileSync(
      join(dir, "ca.cnf"),
      "[ca]\ndefault_ca=d\n[d]\ndir=.\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=localhost\n",
    );
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "01\n");
    const run = async (argv: string[]) => {
      const p = Bun.spawn(argv, { cwd: dir, stdout: "pipe", stderr: "pipe" });
      if ((await p.exited) !== 0)
        throw new Error(`${argv.slice(0, 2).join(" ")}: ${await new Response(p.stderr).text()}`);
    };
    await run([
      "openssl",
      "req",
      "-new",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "key.pem",
      "-out",
      "csr.pem",
      "-config",
      "ca.cnf",
    ]);
    await run([
      "openssl",
      "ca",
      "-batch",
      "-notext",
      "-config",
      "ca.cnf",
      "-selfsign",
      "-keyfile",
      "key.pem",
      "-in",
      "csr.pem",
      "-out",
      "cert.pem",
      "-startdate",
      "20200101000000Z",
      "-enddate",
      "20200201000000Z",
    ]);
    return {
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
      key: readFileSync(join(dir, "key.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function expiredTlsOdoo(): Promise<FakeOdoo> {
  const tls = await expiredCertificate();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    fetch: () => Response.json({ status: "pass" }),
  });
  return { url: `https://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}
