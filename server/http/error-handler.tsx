import type { Context } from "hono";
import type { Core } from "../core.ts";
import { toAppError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { Card, Flash } from "../../views/components/ui.tsx";
import { renderPage } from "./render.tsx";
import { fail, isHtmx, wantsHtml } from "./respond.ts";

const log = createLogger("http");

/**
 * One place turns every thrown error into the answer the caller can use: the JSON envelope for
 * API clients, a flash fragment for htmx, a page for a browser, a redirect to sign in.
 */
export function errorHandler(core: Core) {
  return async (e: unknown, c: Context<any>): Promise<Response> => {
    const err = toAppError(e);
    if (err.code === "E_INTERNAL")
      log.error(`${c.req.method} ${c.req.path} failed`, { error: String((e as Error)?.stack ?? e) });
    if (!wantsHtml(c)) return fail(c, err);
    if ((err.code === "E_UNAUTHENTICATED" || err.code === "E_SESSION_EXPIRED") && !c.get("principal")) {
      const next = c.req.method === "GET" ? c.req.path + (new URL(c.req.url).search || "") : "/";
      const to = `/login?next=${encodeURIComponent(next)}${err.code === "E_SESSION_EXPIRED" ? "&expired=1" : ""}`;
      if (isHtmx(c)) return c.body(null, 401, { "HX-Redirect": to });
      return c.redirect(to, 303);
    }
    if (isHtmx(c)) {
      c.header("HX-Retarget", "#flash-area");
      c.header("HX-Reswap", "innerHTML");
      return c.html(
        <Flash kind="error" message={err.message} hint={err.hint} code={err.code} />,
        err.status as any,
      );
    }
    return renderPage(core, c, {
      title: err.status === 404 ? "Not found" : "Error",
      status: err.status,
      flash: null,
      body: (
        <Card>
          <Flash kind="error" message={err.message} hint={err.hint} code={err.code} />
          <p>
            <a href="/">Back to the dashboard</a>
          </p>
        </Card>
      ),
    });
  };
}
