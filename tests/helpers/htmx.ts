import type { TestClient } from "./app.ts";

/** A placeholder that htmx fetches once the page is in: `<div hx-get=… hx-trigger="load">…</div>`. */
const LAZY = /<div\b[^>]*\bhx-get="([^"]+)"[^>]*\bhx-trigger="load"[^>]*>[\s\S]*?<\/div>/;

/**
 * GETs a page, then does what htmx does with its `hx-trigger="load"` placeholders: fetches each
 * one (with HX-Request) and puts the answer in its place. Returns the page as a user ends up
 * seeing it, and the placeholders the first answer carried.
 */
export async function loadPage(
  client: TestClient,
  path: string,
): Promise<{ res: Response; first: string; html: string; lazy: string[] }> {
  const { res, html: first } = await client.page(path);
  let html = first;
  const lazy: string[] = [];
  for (let m = LAZY.exec(html); m; m = LAZY.exec(html)) {
    const url = m[1].replace(/&amp;/g, "&");
    lazy.push(url);
    const part = await client.request("GET", url, { headers: { "HX-Request": "true" } });
    const body = part.ok ? await part.text() : `<p class="lazy-failed">HTTP ${part.status}</p>`;
    html = html.slice(0, m.index) + body + html.slice(m.index + m[0].length);
  }
  return { res, first, html, lazy };
}
