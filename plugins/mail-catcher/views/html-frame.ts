/**
 * A caught mail's HTML, served for an `<iframe sandbox>` of our own pages: no scripts, no forms,
 * and remote content (tracking pixels, fonts, CSS) blocked by CSP until the user asks for it.
 */
import type { Context } from "hono";

export function framePolicy(remote: boolean): string {
  const fetchable = remote ? "* data: cid:" : "data: cid:";
  return [
    "default-src 'none'",
    `img-src ${fetchable}`,
    `style-src 'unsafe-inline'${remote ? " *" : ""}`,
    `font-src ${fetchable}`,
    "frame-ancestors 'self'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join("; ");
}

export function serveFrame(c: Context, html: string | null, text: string, remote: boolean): Response {
  const body =
    html ??
    `<pre style="white-space:pre-wrap">${text.replace(/[&<>]/g, (ch) => `&#${ch.charCodeAt(0)};`)}</pre>`;
  return c.body(body, 200, {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": framePolicy(remote),
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "private, no-store",
  });
}
