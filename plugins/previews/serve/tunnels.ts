/**
 * Where odoodeck reaches each running preview's Odoo. The runtime's `baseUrl` is the address on
 * the preview's server (its loopback); over SSH odoodeck cannot open it, so the proxy, the smoke
 * gate and the health probe use a tunnel through the instance's connection (locally the tunnel is
 * the address itself). Opened when the preview runs, closed when it stops or is destroyed and
 * when odoodeck stops; a tunnel closed under us (the server's connection was reset) is opened
 * again on the next request.
 */
import type { Connection, Tunnel } from "../../../server/sdk/index.ts";

interface Entry {
  target: string;
  tunnel: Tunnel;
}

export class PreviewTunnels {
  readonly #open = new Map<string, Entry>();
  readonly #opening = new Map<string, Promise<Entry>>();

  /** The open tunnel of a preview, if any (its `url` is where odoodeck sends requests). */
  get(name: string): Tunnel | undefined {
    const e = this.#open.get(name);
    return e?.tunnel.open ? e.tunnel : undefined;
  }

  /**
   * The URL odoodeck uses for the preview's Odoo at `baseUrl` (as its server sees it), opening
   * the tunnel if it is not open; concurrent callers share one opening.
   */
  async url(name: string, baseUrl: string, connection: () => Promise<Connection>): Promise<string> {
    for (;;) {
      const known = this.#open.get(name);
      if (known?.tunnel.open && known.target === baseUrl) return known.tunnel.url;
      const pending = this.#opening.get(name);
      if (!pending) break;
      await pending.catch(() => {}); // then look again: it may be the tunnel we need
    }
    const run = (async () => {
      await this.#closeOpen(name);
      const target = new URL(baseUrl);
      const tunnel = await (await connection()).tunnel(Number(target.port), { host: target.hostname });
      const entry = { target: baseUrl, tunnel };
      this.#open.set(name, entry);
      return entry;
    })().finally(() => this.#opening.delete(name));
    this.#opening.set(name, run);
    return (await run).tunnel.url;
  }

  /** Closes the preview's tunnel (one being opened too): its local port then refuses. */
  async close(name: string): Promise<void> {
    await this.#opening.get(name)?.catch(() => {});
    await this.#closeOpen(name);
  }

  async #closeOpen(name: string): Promise<void> {
    const e = this.#open.get(name);
    this.#open.delete(name);
    await e?.tunnel.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#open.keys()].map((n) => this.close(n)));
  }
}
