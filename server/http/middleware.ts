import { randomBytes, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { SESSION_COOKIE } from "../auth/sessions.ts";
import { resolveToken } from "../auth/tokens.ts";
import type { Core } from "../core.ts";
import { AppError } from "../errors.ts";
import type { Env } from "../sdk/types.ts";

export const PRE_CSRF_COOKIE = "odoodeck_csrf";
const PUBLIC = [
  /^\/login$/,
  /^\/setup$/,
  /^\/assets\//,
  /^\/healthz$/,
  /^\/readyz$/,
  /^\/favicon\.ico$/,
  /^\/api\/v1\/openapi\.json$/,
];
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export const isPublicPath = (path: string) => PUBLIC.some((r) => r.test(path));

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export function securityHeaders(): MiddlewareHandler<Env> {
  return async (c, next) => {
    c.set("requestId", randomBytes(6).toString("hex"));
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "same-origin");
    // A route that serves content for an iframe of our own pages (a caught mail's HTML) sets its
    // own, stricter policy with frame-ancestors 'self'; every other answer gets the default.
    if (c.res.headers.has("Content-Security-Policy")) return;
    c.header("X-Frame-Options", "DENY");
    c.header(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    );
  };
}

/** Who is calling: an API token (Authorization: Bearer) or a session cookie. */
export function authenticate(core: Core): MiddlewareHandler<Env> {
  return async (c, next) => {
    c.set("principal", null);
    c.set("csrf", null);
    const auth = c.req.header("Authorization");
    if (auth?.startsWith("Bearer ")) {
      const t = await resolveToken(core.db, auth.slice(7).trim());
      if (!t)
        throw new AppError("E_UNAUTHENTICATED", "The API token is invalid or revoked", {
          hint: "Create a new token on the API tokens page",
        });
      c.set("principal", {
        userId: t.userId,
        username: t.username,
        role: t.role,
        via: "token",
        tokenId: t.tokenId,
        instances: t.instances,
        tools: t.tools,
        allowDestructive: t.allowDestructive,
      });
      return next();
    }
    const cookie = getCookie(c, SESSION_COOKIE);
    let expired = false;
    if (cookie) {
      const s = await core.sessions.resolve(cookie);
      if (typeof s === "object") {
        const user = await core.db
          .selectFrom("users")
          .select(["id", "username", "role", "disabled"])
          .where("id", "=", s.userId)
          .executeTakeFirst();
        if (user && !user.disabled) {
          c.set("principal", { userId: user.id, username: user.username, role: user.role, via: "session" });
          c.set("csrf", s.csrf);
          (c as any).set("sessionId", s.id);
        }
      } else expired = s === "expired";
    }
    if (!c.get("principal") && !isPublicPath(c.req.path)) {
      throw expired
        ? new AppError("E_SESSION_EXPIRED", undefined, { hint: "Sign in again" })
        : new AppError("E_UNAUTHENTICATED", undefined, {
            hint: "Sign in, or send an API token as Authorization: Bearer <token>",
          });
    }
    return next();
  };
}

/** Pages signed-out users post to (login, setup) use a double-submit cookie instead of a session token. */
export function preSessionCsrf(c: Parameters<MiddlewareHandler<Env>>[0], secure: boolean): string {
  let token = getCookie(c, PRE_CSRF_COOKIE);
  if (!token || token.length < 20) {
    token = randomBytes(18).toString("base64url");
    setCookie(c, PRE_CSRF_COOKIE, token, { httpOnly: true, sameSite: "Strict", secure, path: "/" });
  }
  return token;
}

/**
 * Every state-changing request made with a session must carry the session's CSRF token, as the
 * X-CSRF-Token header (htmx sends it from <body hx-headers>), a `_csrf` form field, or a `_csrf`
 * query parameter for streaming uploads. API tokens are not ambient credentials: no CSRF needed.
 */
export function csrfProtection(): MiddlewareHandler<Env> {
  return async (c, next) => {
    if (SAFE.has(c.req.method)) return next();
    const p = c.get("principal");
    if (p?.via === "token") return next();
    const expected = p ? c.get("csrf") : (getCookie(c, PRE_CSRF_COOKIE) ?? null);
    let sent = c.req.header("X-CSRF-Token") ?? c.req.query("_csrf") ?? null;
    const type = c.req.header("Content-Type") ?? "";
    if (!sent && type.startsWith("application/x-www-form-urlencoded")) {
      const form = await c.req.parseBody();
      sent = typeof form._csrf === "string" ? form._csrf : null;
    }
    if (!expected || !sent || !same(expected, sent))
      throw new AppError("E_CSRF", undefined, { hint: "Reload the page and submit the form again" });
    return next();
  };
}
