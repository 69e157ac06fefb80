/**
 * HTTPS for the previews, served by the core on `preview_https_port` for preview hosts only, from
 * either source `preview_certificates` names:
 * - file: the certificate and key the user gave (`preview_tls_cert`, `preview_tls_key`, PEM paths
 *   on odoodeck's machine) for `*.<preview domain>`;
 * - acme: from an ACME CA (acme.ts), kept sealed in the database, renewed 30 days before it expires:
 *   with `acme_challenge` http-01 one certificate per preview, asked for when a preview is created
 *   or first requested; with dns-01 ONE wildcard `*.<preview domain>` (dns-hook.ts) serving every
 *   preview by SNI, asked for when the first preview needs it (Let's Encrypt allows 50
 *   certificates per registered domain and week: a busy pull-request flow needs the wildcard).
 * Applied again whenever the settings or the certificates change; a preview's URL says https only
 * while the listener really serves a certificate for it. An ACME failure never blocks a preview:
 * it stays on plain HTTP and the previews page shows the E_PREVIEWS_ACME_* and the CA's words.
 */
import {
  ACME_DIRECTORIES,
  ACME_ERRORS,
  AcmeFailure,
  Http01Answers,
  http01Solver,
  issueCertificate,
  newAccountKey,
} from "./acme.ts";
import { type CertificateRecord, CertificateStore } from "./cert-store.ts";
import { dns01Solver, parseHookCommand } from "./dns-hook.ts";
import type { VirtualHostsTls } from "../../../server/sdk/index.ts";
import type { PreviewSettings, PreviewsCtx } from "../settings.ts";

/** Renewal starts this long before a certificate expires (Let's Encrypt's advice for 90 days). */
export const RENEW_BEFORE_MS = 30 * 86400_000;
/** A host whose issuance failed is not asked again on its requests before this (CA rate limits). */
const RETRY_FAILED_AFTER_MS = 3600_000;

export interface PreviewTls {
  /** The port HTTPS listens on, null when previews are served over plain HTTP. */
  port(): number | null;
  /** Where this preview is served over HTTPS, null when only over HTTP (no certificate for it). */
  portFor(name: string): number | null;
  /** Why HTTPS is not served although a certificate is set (shown on the previews page). */
  error(): string | null;
  /** Reads the settings; (re)opens or closes the listener when they changed. */
  apply(): Promise<void>;
  /**
   * acme: gets a certificate for this preview (with dns-01: the wildcard that serves it) unless
   * there is a current one; never throws.
   */
  ensure(name: string, opts?: { force?: boolean; fromRequest?: boolean }): Promise<CertificateRecord | null>;
  /** acme with dns-01: asks the CA for the wildcard certificate now; null in any other mode. */
  ensureWildcard(opts?: { force?: boolean }): Promise<CertificateRecord | null>;
  /** The key authorization for a pending HTTP-01 challenge of this host, null otherwise. */
  challenge(host: string, token: string): string | null;
  /** Drops the preview's certificate (teardown leaves nothing). */
  forget(name: string): Promise<void>;
  /** The renewal job: certificates expiring within 30 days of `at` are issued again. */
  renewDue(at?: Date): Promise<string[]>;
  /** The ACME certificates of the current preview domain and challenge, for the previews page. */
  certificates(): Promise<CertificateRecord[]>;
}

export const domainOf = (s: { preview_domain: string }) =>
  s.preview_domain
    .trim()
    .toLowerCase()
    .replace(/^\.+|\.+$/g, "");

/** dns-01 proves one wildcard for every preview; http-01 one name per preview. */
const isDns = (s: PreviewSettings) => s.preview_certificates === "acme" && s.acme_challenge === "dns-01";
export const wildcardOf = (domain: string) => `*.${domain}`;

/**
 * Whether a stored certificate is one the current settings serve and renew: the wildcard with
 * dns-01, the per-preview ones with http-01 (left over from the other mode: kept until their
 * preview goes, neither served nor renewed).
 */
const belongs = (c: { host: string }, domain: string, dns: boolean) =>
  dns ? c.host === wildcardOf(domain) : c.host.endsWith(`.${domain}`) && !c.host.startsWith("*.");

const read = async (path: string) => {
  const f = Bun.file(path);
  if (!(await f.exists())) throw new Error(`${path} does not exist`);
  return f.text();
};

export function previewTls(ctx: PreviewsCtx): PreviewTls {
  for (const [code, spec] of Object.entries(ACME_ERRORS))
    ctx.errors.define(code, { status: spec.status, message: spec.message });
  const certs = new CertificateStore(ctx.db, ctx.secrets);
  const answers = new Http01Answers();
  const http01 = http01Solver(answers);
  const issuing = new Map<string, Promise<CertificateRecord | null>>();
  let applied = "";
  let port: number | null = null;
  let askedPort: number | null = null;
  let error: string | null = null;
  let mode = "";
  let served = new Set<string>();
  let servedDomain = "";
  const asked = new Map<string, number>();
  let running: Promise<void> = Promise.resolve();

  /** The certificates to serve: this domain's and challenge's, not expired. */
  const current = (domain: string, dns: boolean, list: CertificateRecord[], at = new Date().toISOString()) =>
    list.filter(
      (c): c is CertificateRecord & { cert: string } =>
        !!c.cert && belongs(c, domain, dns) && (c.notAfter ?? "") > at,
    );

  async function open(spec: Omit<VirtualHostsTls, "port">, wanted: number) {
    // A listener on "any free port" keeps the port it got when its certificates change.
    const listenPort = wanted === 0 && askedPort === 0 && port ? port : wanted;
    askedPort = wanted;
    const r = await ctx.vhosts.listenTls({ port: listenPort, ...spec });
    port = r?.port ?? null;
  }

  async function applyNow(): Promise<void> {
    const s = await ctx.settings();
    const domain = domainOf(s);
    mode = s.preview_certificates;
    servedDomain = domain;
    const dns = isDns(s);
    const acmeCerts = mode === "acme" && domain ? current(domain, dns, await certs.list()) : [];
    const wanted = JSON.stringify([
      mode,
      dns,
      s.preview_tls_cert,
      s.preview_tls_key,
      s.preview_https_port,
      domain,
      acmeCerts.map((c) => [c.host, c.issuedAt]),
    ]);
    if (wanted === applied) return;
    applied = wanted;
    error = null;
    served = new Set();
    try {
      if (mode === "file" && s.preview_tls_cert && s.preview_tls_key && domain) {
        const [cert, key] = await Promise.all([read(s.preview_tls_cert), read(s.preview_tls_key)]);
        await open({ cert, key, serverNames: [`*.${domain}`] }, s.preview_https_port);
        ctx.log.info(`Previews served over HTTPS on port ${port} for *.${domain}`);
      } else if (mode === "acme" && acmeCerts.length) {
        // Private keys are opened only when what is served changes.
        const withKeys = current(domain, dns, await certs.list({ keys: true })).filter(
          (c): c is typeof c & { key: string } => !!c.key,
        );
        const [first, ...rest] = withKeys;
        await open(
          {
            cert: first.cert,
            key: first.key,
            serverNames: [first.host],
            extra: rest.map((c) => ({ serverName: c.host, cert: c.cert, key: c.key })),
          },
          s.preview_https_port,
        );
        served = new Set(withKeys.map((c) => c.host));
        ctx.log.info(
          `Previews served over HTTPS on port ${port} for ${dns ? `*.${domain}` : `${served.size} ACME certificate(s)`}`,
        );
      } else {
        port = null;
        await ctx.vhosts.listenTls(null);
      }
    } catch (e) {
      error = (e as Error).message;
      port = null;
      served = new Set();
      await ctx.vhosts.listenTls(null);
      ctx.log.error(`Previews over HTTPS: ${error}`);
    }
  }

  function apply(): Promise<void> {
    // One apply at a time: two settings saves in a row must not open two listeners.
    running = running.then(applyNow, applyNow);
    return running;
  }

  async function issue(host: string, force: boolean): Promise<CertificateRecord | null> {
    const s = await ctx.settings();
    const had = await certs.get(host);
    if (!force && had) {
      const fresh = had.cert && Date.parse(had.notAfter ?? "") - RENEW_BEFORE_MS > Date.now();
      const failedLately = had.errorCode && Date.now() - Date.parse(had.attemptedAt) < RETRY_FAILED_AFTER_MS;
      if (fresh || failedLately) return had;
    }
    const at = () => new Date().toISOString();
    try {
      const directoryUrl = s.acme_ca === "custom" ? s.acme_directory_url.trim() : ACME_DIRECTORIES[s.acme_ca];
      if (!directoryUrl || !/^https:\/\//.test(directoryUrl))
        throw new AcmeFailure("E_PREVIEWS_ACME", "set an https ACME directory URL in the previews settings");
      const caPem = s.acme_ca_cert ? await read(s.acme_ca_cert) : null;
      // A wildcard only DNS-01 proves; the hook is checked before the CA is bothered.
      const solver = host.startsWith("*.")
        ? dns01Solver({
            command: parseHookCommand(s.acme_dns_hook),
            timeoutMs: s.acme_dns_hook_timeout * 1000,
            resolver: s.acme_dns_resolver.trim() || null,
            propagationTimeoutMs: s.acme_dns_propagation_timeout * 1000,
            delayMs: s.acme_dns_delay * 1000,
            log: ctx.log,
          })
        : http01;
      const accountKey = await certs.accountKey(directoryUrl, s.acme_email.trim(), newAccountKey);
      ctx.log.info(`Asking ${directoryUrl} for a certificate for ${host} (${solver.type})`);
      const c = await issueCertificate(host, {
        directoryUrl,
        email: s.acme_email.trim(),
        caPem,
        accountKey,
        solver,
      });
      await certs.saveIssued(host, c, at());
      ctx.log.info(`Certificate for ${host} issued, valid until ${c.notAfter}`);
      await apply();
    } catch (e) {
      const f = e instanceof AcmeFailure ? e : new AcmeFailure("E_PREVIEWS_ACME", (e as Error).message);
      await certs.saveFailure(host, f.code, f.message, at());
      ctx.log.warn(`Certificate for ${host}: ${f.code} ${f.message}`);
    }
    return certs.get(host);
  }

  function ensureHost(host: string, force: boolean): Promise<CertificateRecord | null> {
    // Only the server answers HTTP-01 challenges: a one-shot CLI command would leave its order
    // unanswered (and DNS-01 issuances belong to the one process that renews them).
    if (ctx.config.mode !== "serve") return Promise.resolve(null);
    // One issuance per host at a time: a page's dozens of requests (or, for the wildcard, every
    // new preview) share it.
    const pending = issuing.get(host);
    if (pending) return pending;
    const run = issue(host, force)
      .catch((e) => {
        ctx.log.error(`Certificate for ${host}: ${(e as Error).message}`);
        return null;
      })
      .finally(() => issuing.delete(host));
    issuing.set(host, run);
    return run;
  }

  return {
    port: () => port,
    portFor(name) {
      if (port == null) return null;
      if (mode !== "acme") return port;
      return served.has(`${name}.${servedDomain}`) || served.has(wildcardOf(servedDomain)) ? port : null;
    },
    error: () => error,
    apply,
    async ensure(name, opts = {}) {
      // Called on every request of a preview without a certificate: cheap unless it is due.
      if (opts.fromRequest) {
        if (mode !== "acme" || Date.now() - (asked.get(name) ?? 0) < 60_000) return null;
        asked.set(name, Date.now());
      }
      const s = await ctx.settings();
      const domain = domainOf(s);
      if (s.preview_certificates !== "acme" || !domain) return null;
      return ensureHost(isDns(s) ? wildcardOf(domain) : `${name}.${domain}`, !!opts.force);
    },
    async ensureWildcard(opts = {}) {
      const s = await ctx.settings();
      const domain = domainOf(s);
      if (!isDns(s) || !domain) return null;
      return ensureHost(wildcardOf(domain), !!opts.force);
    },
    challenge: (host, token) => answers.answer(host, token),
    async forget(name) {
      const domain = domainOf(await ctx.settings());
      if (!domain) return;
      await certs.remove(`${name}.${domain}`);
      // Not awaited: in a one-shot CLI command no listener ever opens for apply to wait on.
      void apply();
    },
    async renewDue(at = new Date()) {
      const s = await ctx.settings();
      const domain = domainOf(s);
      if (s.preview_certificates !== "acme" || !domain) return [];
      const renewed: string[] = [];
      for (const c of await certs.list()) {
        if (!c.cert || !belongs(c, domain, isDns(s))) continue;
        if (Date.parse(c.notAfter ?? "") - RENEW_BEFORE_MS > at.getTime()) continue;
        const r = await ensureHost(c.host, true);
        if (r && !r.errorCode) renewed.push(c.host);
      }
      return renewed;
    },
    async certificates() {
      const s = await ctx.settings();
      const domain = domainOf(s);
      return domain ? (await certs.list()).filter((c) => belongs(c, domain, isDns(s))) : [];
    },
  };
}
