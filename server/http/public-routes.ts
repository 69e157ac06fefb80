/**
 * The one door for routes without sign-in: plugins' `ctx.publicRoutes(app)`, mounted at
 * /pub/<id> before sign-in and CSRF. Whoever calls them is a stranger, so: no principal (a
 * session cookie sent along is ignored, it cannot ride a webhook), no CSRF (there is no session
 * to forge), a small body, a per-address rate, and headers that keep tokens out of caches.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchedRoutes } from "hono/route";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import type { PluginRecord } from "../plugin-host/host.ts";
import type { Env } from "../sdk/types.ts";
import { clientIp } from "./client-ip.ts";
import { RateWindow } from "./rate-window.ts";

/** Public bodies above this are refused unless the route declares more with `publicBodyLimit`. */
export const PUBLIC_BODY_BYTES = 256 * 1024;
const LIMIT = Symbol.for("odoodeck.public-body-limit");
// Hono wraps a sub-app's handler when that sub-app has its own error handler; the original stays
// reachable under this key.
const COMPOSED = "__COMPOSED_HANDLER";
const declared = (h: unknown): number | null => {
  if (typeof h !== "function") return null;
  if (LIMIT in h) return (h as any)[LIMIT] as number;
  return declared((h as any)[COMPOSED]);
};

/**
 * Declares that one public route takes bodies up to `maxBytes` (public routes take 256 KB
 * otherwise; 2 MB is the ceiling for every body that is not an upload).
 * @example pub.post("/hooks/:token", publicBodyLimit(1024 * 1024), verifyThenAct);
 */
export function publicBodyLimit(maxBytes: number): MiddlewareHandler<Env> {
  const mw: MiddlewareHandler<Env> = (_c, next) => next();
  return Object.assign(mw, { [LIMIT]: maxBytes });
}

function maxBodyOf(c: Context<Env>): number {
  for (const r of matchedRoutes(c)) {
    const n = declared(r.handler);
    if (n != null) return n;
  }
  return PUBLIC_BODY_BYTES;
}

/** Strangers only: what every /pub answer goes through before the plugin's handler. */
function stranger(core: Core, rate: RateWindow): MiddlewareHandler<Env> {
  return async (c, next) => {
    c.set("principal", null);
    c.set("csrf", null);
    const ip = clientIp(c, core.config.trustProxy) ?? "unknown";
    const wait = rate.hit(ip);
    if (wait > 0) {
      c.header("Retry-After", String(Math.ceil(wait / 1000)));
      throw new AppError("E_RATE_LIMITED", "Too many requests from this address", {
        hint: `Try again in ${Math.ceil(wait / 1000)} s`,
      });
    }
    const max = maxBodyOf(c);
    const limit = bodyLimit({
      maxSize: max,
      onError: () => {
        throw new AppError(
          "E_TOO_LARGE",
          `The request body is too large (${Math.round(max / 1024)} KB at most)`,
        );
      },
    });
    await limit(c, next);
    // Share links and hook tokens sit in the URL: keep answers out of caches and search engines.
    c.header("Cache-Control", "no-store");
    c.header("X-Robots-Tag", "noindex, nofollow");
    c.header("Cross-Origin-Resource-Policy", "same-origin");
  };
}

/** A plugin that is not running has no public routes: strangers get the same 404 as for none. */
function whileStarted(rec: PluginRecord, app: Hono<Env>): Hono<Env> {
  const outer = new Hono<Env>();
  outer.use("*", async (_c, next) => {
    if (rec.status !== "started") throw new AppError("E_NOT_FOUND", "There is no page at this address");
    await next();
  });
  outer.route("/", app);
  return outer;
}

/** Requests a minute one address may make to /pub (webhooks, share links, Mailpit clients). */
export const PUBLIC_RATE_PER_MINUTE = 600;
const rates = new WeakMap<Core, RateWindow>();
/** The running core's public rate window (its `limit` may be changed, e.g. by a test). */
export function publicRate(core: Core): RateWindow {
  let r = rates.get(core);
  if (!r) rates.set(core, (r = new RateWindow(PUBLIC_RATE_PER_MINUTE, 60_000)));
  return r;
}

/** Mounts every plugin's public routes; call before sign-in and CSRF are applied. */
export function mountPublicRoutes(app: Hono<Env>, core: Core): void {
  app.use("/pub/*", stranger(core, publicRate(core)));
  for (const rec of core.host.records)
    if (rec.publicApp) app.route(`/pub/${rec.id}`, whileStarted(rec, rec.publicApp));
  // Nothing else under /pub: never fall through to sign-in, where a cookie would count again.
  app.all("/pub/*", () => {
    throw new AppError("E_NOT_FOUND", "There is no page at this address");
  });
}
