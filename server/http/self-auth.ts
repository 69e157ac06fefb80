/**
 * Routes called by machines that hold no session nor API token (a git host's push webhook) and
 * prove who they are by themselves, e.g. with an HMAC of the body. Such a route says so with
 * `verifiesItself()`: sessions and CSRF do not apply to it, and no ambient credential (a
 * browser's cookie) reaches it, so it cannot act as anyone but the caller its own check admits.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchedRoutes } from "hono/route";
import { AppError } from "../errors.ts";
import type { Env } from "../sdk/types.ts";

const SELF = Symbol.for("odoodeck.verifies-itself");
const COMPOSED = "__COMPOSED_HANDLER";
const isMarker = (h: unknown): boolean =>
  typeof h === "function" && (SELF in h || isMarker((h as any)[COMPOSED]));

/** Whether the request's route declared `verifiesItself()`. */
export const verifiesItselfRoute = (c: Context<Env>): boolean =>
  matchedRoutes(c).some((r) => isMarker(r.handler));

/**
 * Marks a route as authenticating its callers itself (webhooks): no session or CSRF check, no
 * principal (a cookie sent along is ignored), and a small body limit (`maxBytes`, 256 KB by
 * default) since anyone may call it. The handler MUST verify every request (e.g. an HMAC compared
 * in constant time) before acting on it.
 * @example
 * api.post("/hooks/:token", verifiesItself(), async (c) => {
 *   const body = await c.req.text();
 *   if (!validSignature(body, c.req.header("X-Hub-Signature-256"))) return fail(c, new AppError("E_UNAUTHENTICATED"));
 *   …
 * });
 */
export function verifiesItself(opts: { maxBytes?: number } = {}): MiddlewareHandler<Env> {
  const limit = bodyLimit({
    maxSize: opts.maxBytes ?? 256 * 1024,
    onError: () => {
      throw new AppError("E_TOO_LARGE", "The request body is too large for this hook");
    },
  });
  const mw: MiddlewareHandler<Env> = async (c, next) => {
    c.set("principal", null);
    c.set("csrf", null);
    return limit(c, next);
  };
  return Object.assign(mw, { [SELF]: true });
}
