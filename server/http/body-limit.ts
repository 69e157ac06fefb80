/**
 * Request bodies are small (forms, JSON) except on the few routes that stream an upload to disk.
 * Those routes say so with `acceptsUpload()`; the decision never rests on the path or the
 * Content-Type, which any caller controls.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchedRoutes } from "hono/route";
import { AppError } from "../errors.ts";
import type { Env } from "../sdk/types.ts";

/** Forms and JSON bodies above this are refused before they are read. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
const UPLOAD = Symbol.for("odoodeck.upload-route");

/**
 * Marks a route as an upload: its body is not limited to 2 MB, so the handler must stream it
 * (e.g. to a file), never buffer it. Only a signed-in caller gets that far: sign-in is checked
 * before any body is read, and again here.
 * @example api.post("/i/:instance/restore/upload", acceptsUpload(), async (c) => save(c.req.raw.body));
 */
export function acceptsUpload(): MiddlewareHandler<Env> {
  const mw: MiddlewareHandler<Env> = async (c, next) => {
    if (!c.get("principal"))
      throw new AppError("E_UNAUTHENTICATED", undefined, { hint: "Sign in to upload" });
    await next();
  };
  return Object.assign(mw, { [UPLOAD]: true });
}

// Hono wraps a sub-app's handler when that sub-app has its own error handler; the original stays
// reachable under this key.
const COMPOSED = "__COMPOSED_HANDLER";
const isUploadMarker = (h: unknown): boolean =>
  typeof h === "function" && (UPLOAD in h || isUploadMarker((h as any)[COMPOSED]));

function declaresUpload(c: Context<Env>): boolean {
  return matchedRoutes(c).some((r) => isUploadMarker(r.handler));
}

/**
 * Runs before authentication, so an oversized body from anyone is refused from its
 * Content-Length without reading it (a chunked one after 2 MB). Routes declared with
 * `acceptsUpload()` pass through; `authenticate` then refuses a caller who is not signed in,
 * still without reading the body.
 */
export function limitBodies(): MiddlewareHandler<Env> {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError("E_TOO_LARGE", "The request body is too large (2 MB at most)", {
        hint: "Backups are uploaded on an instance's Restore page, which takes files of any size",
      });
    },
  });
  return (c, next) => (declaresUpload(c) ? next() : limit(c, next));
}
