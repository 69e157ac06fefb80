/**
 * `<preview>.<preview domain>` → the preview's Odoo, through the core's virtual hosts (HTTP and
 * WebSocket). A stopped preview wakes on its first request and answers a waiting page that
 * reloads itself until Odoo is up. ACME HTTP-01 challenges of a preview's name are answered here,
 * for that name only; other hosts never reach this code (they are odoodeck's own pages).
 */
import type { VirtualHostSpec } from "../../../server/sdk/index.ts";
import type { PreviewsService } from "../service.ts";
import type { PreviewsCtx } from "../settings.ts";

/**
 * The domain is read again at most every 2 s as requests come: a changed setting applies within
 * seconds, and most requests cost no read.
 */
export function previewHost(
  ctx: PreviewsCtx,
  svc: PreviewsService,
): VirtualHostSpec & { refresh(): Promise<void> } {
  let domain = "";
  let readAt = 0;
  const refresh = async () => {
    readAt = Date.now();
    domain = (await ctx.settings()).preview_domain
      .trim()
      .toLowerCase()
      .replace(/^\.+|\.+$/g, "");
    // Settings written by other means than the settings page reach the HTTPS listener too.
    void svc.tls.apply();
  };
  const nameOf = (host: string) =>
    domain && host.endsWith(`.${domain}`) ? host.slice(0, -domain.length - 1) : null;
  return {
    refresh,
    matches: async (host) => {
      if (Date.now() - readAt > 2000) await refresh().catch(() => {});
      const name = nameOf(host);
      return !!name && !name.includes(".");
    },
    async resolve(req) {
      const host = (req.headers.get("host") ?? "").toLowerCase().replace(/:\d+$/, "");
      // HTTP-01: the ACME CA checks the answer on the preview's own name, before the proxy.
      const path = new URL(req.url).pathname;
      if (path.startsWith(CHALLENGE)) {
        const answer = svc.tls.challenge(host, path.slice(CHALLENGE.length));
        if (answer) return new Response(answer, { headers: { "Content-Type": "application/octet-stream" } });
        return new Response("No such ACME challenge", { status: 404 });
      }
      const p = await svc.store.get(nameOf(host) ?? "");
      if (!p) return page(404, "No such preview", "It may have expired or been destroyed.");
      // First request of a preview without a certificate: ask for one, serve it over HTTP meanwhile.
      if (svc.tls.portFor(p.name) == null) void svc.tls.ensure(p.name, { fromRequest: true });
      const rt = svc.runtimes.get(p.name);
      if (p.status === "running" && rt?.baseUrl) {
        await svc.touch(p);
        // Through the tunnel: on an SSH server, rt.baseUrl is that server's loopback.
        const upstream = await svc.upstream(p, rt).catch((e: Error) => {
          ctx.log.warn(`No way to ${p.name}: ${e.message}`);
          return null;
        });
        if (!upstream)
          return page(502, `${p.name} cannot be reached`, "Its server does not answer; try again shortly.");
        return { upstream };
      }
      if (p.status === "stopped" || p.status === "running") {
        svc.wake(p.name).catch((e) => ctx.log.warn(`Waking ${p.name} failed: ${e.message}`));
        return page(503, `Starting ${p.name}…`, "This preview was asleep; this page reloads itself.", true);
      }
      if (p.status === "creating")
        return page(503, `${p.name} is being built…`, "This page reloads itself.", true);
      return page(503, `${p.name} is ${p.status}`, p.error ?? "See its page in odoodeck.");
    },
  };
}

const CHALLENGE = "/.well-known/acme-challenge/";

function page(status: number, title: string, text: string, reload = false): Response {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>${
    reload ? '<meta http-equiv="refresh" content="2">' : ""
  }</head><body style="font-family:sans-serif;margin:4rem auto;max-width:32rem"><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`;
  return new Response(html, {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", ...(reload ? { "Retry-After": "2" } : {}) },
  });
}
