import type { Hono } from "hono";
// Imported as text so `bun build --compile` embeds them in the binary: no files beside it, no CDN.
import css from "../../views/assets/app.css" with { type: "text" };
import appJs from "../../views/assets/app.js" with { type: "text" };
import favicon from "../../views/assets/favicon.svg" with { type: "text" };
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };
import htmxSse from "htmx-ext-sse/sse.js" with { type: "text" };
import pkg from "../../package.json" with { type: "json" };

const ASSETS: Record<string, { body: string; type: string }> = {
  "app.css": { body: css, type: "text/css; charset=utf-8" },
  "app.js": { body: appJs, type: "text/javascript; charset=utf-8" },
  "htmx.min.js": { body: htmx, type: "text/javascript; charset=utf-8" },
  "htmx-sse.js": { body: htmxSse, type: "text/javascript; charset=utf-8" },
  "favicon.svg": { body: favicon, type: "image/svg+xml" },
};

export const ASSET_VERSION = Bun.hash(
  Object.values(ASSETS)
    .map((a) => a.body)
    .join(""),
)
  .toString(36)
  .slice(0, 8);
export const APP_VERSION: string = pkg.version;

export function mountAssets(app: Hono<any>): void {
  app.get("/assets/:name", (c) => {
    const a = ASSETS[c.req.param("name")];
    if (!a) return c.notFound();
    return c.body(a.body, 200, {
      "Content-Type": a.type,
      "Cache-Control": "public, max-age=31536000, immutable",
    });
  });
}
