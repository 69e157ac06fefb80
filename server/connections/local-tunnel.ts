/** The "tunnel" of a server that is odoodeck's own machine: the port itself, nothing in between. */
import { AppError } from "../errors.ts";
import type { Tunnel } from "./types.ts";

/** "[::1]" for an IPv6 address in a URL, a name or an IPv4 address as is. */
export const urlHost = (host: string) => (host.includes(":") ? `[${host}]` : host);

export function checkTunnelTarget(port: number, host: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new AppError("E_VALIDATION", `A tunnel needs a TCP port between 1 and 65535, not ${port}`);
  if (!host || /[\s/@]/.test(host))
    throw new AppError("E_VALIDATION", `A tunnel needs a host name or address, not "${host}"`);
}

export function localTunnel(port: number, host: string): Tunnel {
  checkTunnelTarget(port, host);
  let open = true;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    get open() {
      return open;
    },
    async close() {
      open = false;
    },
  };
}
