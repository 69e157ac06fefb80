import type { Context } from "hono";
import { getConnInfo } from "hono/bun";

/** The client's address; X-Forwarded-For is believed only when odoodeck runs behind a trusted proxy. */
export function clientIp(c: Context, trustProxy: boolean): string | null {
  if (trustProxy) {
    const fwd = c.req.header("X-Forwarded-For");
    if (fwd) return fwd.split(",")[0].trim();
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}
