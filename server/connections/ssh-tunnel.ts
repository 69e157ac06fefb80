/**
 * A listener on odoodeck's loopback whose connections are forwarded through the SSH link to a
 * port of the server (ssh2 `forwardOut`, a "direct-tcpip" channel per connection): how odoodeck
 * reaches an Odoo bound to the server's own loopback. Each accepted connection asks the pool for
 * its link, so a link that dropped is reconnected by the next connection; when the server cannot
 * be reached the local socket is closed within OPEN_TIMEOUT_MS, so a request fails rather than
 * hangs. It listens on 127.0.0.1 only: the forward is never offered to the network.
 */
import { createServer, type Socket } from "node:net";
import type { ClientChannel } from "ssh2";
import { AppError, isAppError } from "../errors.ts";
import { checkTunnelTarget } from "./local-tunnel.ts";
import type { Link, SshPool } from "./ssh-pool.ts";
import type { Tunnel } from "./types.ts";

/** Longest wait for the link (reconnecting if needed) and the forwarded channel. */
const OPEN_TIMEOUT_MS = 10_000;

/** One forwarded channel to host:port; once more on a fresh link if the pooled one died unnoticed. */
async function forwardedChannel(
  pool: SshPool,
  host: string,
  port: number,
): Promise<{ ch: ClientChannel; link: Link }> {
  for (let attempt = 0; ; attempt++) {
    const link = await pool.link();
    try {
      const ch = await new Promise<ClientChannel>((resolve, reject) => {
        link.client.forwardOut("127.0.0.1", 0, host, port, (err, ch) => (err ? reject(err) : resolve(ch)));
      });
      return { ch, link };
    } catch (e) {
      if (isAppError(e)) throw e;
      if (attempt === 0 && /not connected/i.test((e as Error).message)) {
        await pool.close();
        continue;
      }
      throw new AppError("E_UNREACHABLE", `The server cannot open ${host}:${port}: ${(e as Error).message}`);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError("E_TIMEOUT", `${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Opens the listener; `onClosed` runs once when it is closed (the connection forgets it).
 * `onError` hears why a connection to the tunnel could not be forwarded.
 */
export async function openSshTunnel(
  pool: SshPool,
  host: string,
  port: number,
  hooks: { onClosed?: (t: Tunnel) => void; onError?: (e: AppError) => void } = {},
): Promise<Tunnel> {
  checkTunnelTarget(port, host);
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => {});
    sock.once("close", () => sockets.delete(sock));
    // Bytes the client sends meanwhile stay buffered: the socket is read only once piped.
    const channel = forwardedChannel(pool, host, port);
    withTimeout(channel, OPEN_TIMEOUT_MS, `Reaching ${host}:${port} through SSH`).then(
      ({ ch, link }) => bridge(sock, ch, link),
      (e) => {
        hooks.onError?.(isAppError(e) ? e : new AppError("E_UNREACHABLE", String(e)));
        sock.destroy();
        // A channel that opens after the timeout is closed at once.
        channel.then(({ ch }) => ch.close()).catch(() => {});
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.on("error", () => {}); // once listening, a failed accept concerns that connection only
  const local = (server.address() as { port: number }).port;
  let open = true;
  const tunnel: Tunnel = {
    url: `http://127.0.0.1:${local}`,
    port: local,
    get open() {
      return open;
    },
    async close() {
      if (!open) return;
      open = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      hooks.onClosed?.(tunnel);
    },
  };
  return tunnel;
}

/** Pipes both ways; either side ending or the SSH link dropping ends the other. */
function bridge(sock: Socket, ch: ClientChannel, link: Link): void {
  if (sock.destroyed) {
    ch.close();
    return;
  }
  const unsubscribe = link.onDrop(() => sock.destroy());
  ch.on("error", () => sock.destroy());
  ch.once("close", () => {
    unsubscribe();
    sock.destroy();
  });
  sock.once("close", () => ch.close());
  sock.pipe(ch).pipe(sock);
}
