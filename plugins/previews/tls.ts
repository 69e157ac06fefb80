/**
 * HTTPS for the previews: the certificate and key the user gave (`preview_tls_cert`,
 * `preview_tls_key`, PEM paths on odoodeck's machine) served by the core on
 * `preview_https_port` for `*.<preview domain>`. Applied again whenever the settings change; a
 * preview's URL says https only while that listener really serves.
 */
import type { PreviewsCtx } from "./settings.ts";

export interface PreviewTls {
  /** The port HTTPS listens on, null when previews are served over plain HTTP. */
  port(): number | null;
  /** Why HTTPS is not served although a certificate is set (shown on the previews page). */
  error(): string | null;
  /** Reads the settings; (re)opens or closes the listener when they changed. */
  apply(): Promise<void>;
}

export function previewTls(ctx: PreviewsCtx): PreviewTls {
  let applied = "";
  let port: number | null = null;
  let error: string | null = null;
  let running: Promise<void> = Promise.resolve();
  const read = async (path: string) => {
    const f = Bun.file(path);
    if (!(await f.exists())) throw new Error(`${path} does not exist`);
    return f.text();
  };
  async function applyNow(): Promise<void> {
    const s = await ctx.settings();
    const domain = s.preview_domain
      .trim()
      .toLowerCase()
      .replace(/^\.+|\.+$/g, "");
    const wanted = JSON.stringify([s.preview_tls_cert, s.preview_tls_key, s.preview_https_port, domain]);
    if (wanted === applied) return;
    applied = wanted;
    port = null;
    error = null;
    if (!s.preview_tls_cert || !s.preview_tls_key || !domain) {
      await ctx.vhosts.listenTls(null);
      return;
    }
    try {
      const [cert, key] = await Promise.all([read(s.preview_tls_cert), read(s.preview_tls_key)]);
      const r = await ctx.vhosts.listenTls({
        port: s.preview_https_port,
        cert,
        key,
        serverNames: [`*.${domain}`],
      });
      port = r?.port ?? null;
      ctx.log.info(`Previews served over HTTPS on port ${port} for *.${domain}`);
    } catch (e) {
      error = (e as Error).message;
      await ctx.vhosts.listenTls(null);
      ctx.log.error(`Previews over HTTPS: ${error}`);
    }
  }
  return {
    port: () => port,
    error: () => error,
    // One apply at a time: two settings saves in a row must not open two listeners.
    apply() {
      running = running.then(applyNow, applyNow);
      return running;
    },
  };
}
