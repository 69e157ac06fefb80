/**
 * Certificates for preview hosts from an ACME CA (RFC 8555) with acme-client: either one
 * certificate per `<preview>.<preview domain>`, proven by HTTP-01, which odoodeck answers itself on
 * its HTTP listener for that host (see proxy.ts), or one wildcard `*.<preview domain>` proven by
 * DNS-01 through the admin's DNS hook (dns-hook.ts). Failures come back as E_PREVIEWS_ACME_* with
 * the CA's (or the hook's) own words: unreachable CA, failed challenge, rate limit, hook failed...
 */
import https from "node:https";
import * as acme from "acme-client";

export const ACME_DIRECTORIES: Record<string, string> = {
  letsencrypt: acme.directory.letsencrypt.production,
  "letsencrypt-staging": acme.directory.letsencrypt.staging,
};

export type AcmeErrorCode =
  | "E_PREVIEWS_ACME_UNREACHABLE"
  | "E_PREVIEWS_ACME_CHALLENGE"
  | "E_PREVIEWS_ACME_DNS_HOOK"
  | "E_PREVIEWS_ACME_DNS_PROPAGATION"
  | "E_PREVIEWS_ACME_DNS_CHALLENGE"
  | "E_PREVIEWS_ACME_RATE_LIMITED"
  | "E_PREVIEWS_ACME";

/** What the previews page shows with each code (registered with ctx.errors.define in tls.ts). */
export const ACME_ERRORS: Record<AcmeErrorCode, { status: number; message: string; hint: string }> = {
  E_PREVIEWS_ACME_UNREACHABLE: {
    status: 502,
    message: "The ACME CA could not be reached",
    hint: "Check the ACME directory URL and that odoodeck's machine reaches it (proxy, firewall, DNS)",
  },
  E_PREVIEWS_ACME_CHALLENGE: {
    status: 502,
    message: "The ACME CA could not check the HTTP-01 challenge",
    hint: "The preview's name must resolve to odoodeck and port 80 must reach odoodeck's HTTP port",
  },
  E_PREVIEWS_ACME_DNS_HOOK: {
    status: 502,
    message: "The DNS hook failed",
    hint: "Run the hook by hand with ODOODECK_DNS_ACTION=present, ODOODECK_DNS_NAME and ODOODECK_DNS_VALUE set; its error output is above",
  },
  E_PREVIEWS_ACME_DNS_PROPAGATION: {
    status: 504,
    message: "The TXT record did not show up at the DNS resolver in time",
    hint: "Check that the hook really writes the record, that the resolver set in the settings serves the zone, or wait longer",
  },
  E_PREVIEWS_ACME_DNS_CHALLENGE: {
    status: 502,
    message: "The ACME CA could not check the DNS-01 challenge",
    hint: "The CA must see the TXT record _acme-challenge.<preview domain> the hook wrote: check the zone and raise the propagation delay",
  },
  E_PREVIEWS_ACME_RATE_LIMITED: {
    status: 429,
    message: "The ACME CA refuses more certificates for now (rate limit)",
    hint: "Wait for the time the CA says, or use Let's Encrypt staging while testing",
  },
  E_PREVIEWS_ACME: {
    status: 502,
    message: "The ACME CA refused the certificate",
    hint: "See the CA's message",
  },
};

/** An issuance that failed, with its code and the CA's (or the network's) own words. */
export class AcmeFailure extends Error {
  constructor(
    readonly code: AcmeErrorCode,
    readonly detail: string,
  ) {
    super(`${ACME_ERRORS[code].message}: ${detail}`);
  }
}

/**
 * acme-client shares one axios instance: a private CA (step-ca, pebble) is trusted only for
 * requests to its own directory's origin, never for anything else the process fetches.
 */
const agents = new Map<string, https.Agent>();
let hooked = false;
function trust(directoryUrl: string, caPem: string | null): void {
  if (!hooked) {
    hooked = true;
    acme.axios.interceptors.request.use((config) => {
      const agent = config.url ? agents.get(new URL(config.url).origin) : undefined;
      if (agent) config.httpsAgent = agent;
      // A CA that never answers must not hold an issuance forever.
      config.timeout ||= 30_000;
      return config;
    });
  }
  const origin = new URL(directoryUrl).origin;
  if (caPem) agents.set(origin, new https.Agent({ ca: caPem, keepAlive: false }));
  else agents.delete(origin);
}

/** Pending HTTP-01 answers: token → the host it was asked for and its key authorization. */
export class Http01Answers {
  readonly #pending = new Map<string, { host: string; keyAuthorization: string }>();
  set(token: string, host: string, keyAuthorization: string): void {
    this.#pending.set(token, { host, keyAuthorization });
  }
  delete(token: string): void {
    this.#pending.delete(token);
  }
  /** Only the host the token was made for gets the answer. */
  answer(host: string, token: string): string | null {
    const p = this.#pending.get(token);
    return p && p.host === host ? p.keyAuthorization : null;
  }
}

/**
 * How a challenge is put in place for the CA and taken away afterwards: HTTP-01 by odoodeck's own
 * HTTP listener, DNS-01 by the admin's DNS hook.
 */
export interface ChallengeSolver {
  type: "http-01" | "dns-01";
  /** `identifier` is the name being proven (the bare domain for a wildcard); `value` what the CA checks. */
  present(identifier: string, token: string, value: string): Promise<void>;
  /** Called for every present, whether it (or the check) succeeded or not; never throws. */
  cleanup(identifier: string, token: string, value: string): Promise<void>;
}

/** HTTP-01: the answer is served on `identifier`'s name only while the CA checks it. */
export const http01Solver = (answers: Http01Answers): ChallengeSolver => ({
  type: "http-01",
  present: async (identifier, token, value) => answers.set(token, identifier, value),
  cleanup: async (_identifier, token) => answers.delete(token),
});

export interface AcmeOptions {
  directoryUrl: string;
  email: string;
  /** PEM of the CA that signs the ACME server's own HTTPS certificate (private CAs only). */
  caPem: string | null;
  accountKey: string;
  solver: ChallengeSolver;
}

export interface IssuedCertificate {
  cert: string;
  key: string;
  notAfter: string;
}

export type Phase = "account" | "order" | "challenge" | "dns-challenge" | "finalize";

/**
 * Issues a certificate for `host` (`*.<domain>` for a wildcard, which only DNS-01 proves), or
 * throws an AcmeFailure.
 */
export async function issueCertificate(host: string, o: AcmeOptions): Promise<IssuedCertificate> {
  trust(o.directoryUrl, o.caPem);
  const client = new acme.Client({
    directoryUrl: o.directoryUrl,
    accountKey: o.accountKey,
    backoffAttempts: 10,
    backoffMin: 1000,
    backoffMax: 10_000,
  });
  let phase: Phase = "account";
  /** The TXT record a DNS-01 check looks at: named in the failure (the CA's words may not). */
  let record = "";
  try {
    await client.createAccount({
      termsOfServiceAgreed: true,
      ...(o.email ? { contact: [`mailto:${o.email}`] } : {}),
    });
    phase = "order";
    const order = await client.createOrder({ identifiers: [{ type: "dns", value: host }] });
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === "valid") continue;
      const type = o.solver.type;
      const ch = authz.challenges.find((c) => c.type === type);
      if (!ch) throw new Error(`the CA offers no ${type.toUpperCase()} challenge for ${host}`);
      // For dns-01 acme-client gives the TXT value (the key authorization's digest).
      const value = await client.getChallengeKeyAuthorization(ch);
      const identifier = authz.identifier.value;
      if (type === "dns-01") record = `_acme-challenge.${identifier}`;
      try {
        await o.solver.present(identifier, ch.token, value);
        phase = type === "dns-01" ? "dns-challenge" : "challenge";
        await client.completeChallenge(ch);
        await client.waitForValidStatus(ch);
      } finally {
        await o.solver.cleanup(identifier, ch.token, value);
      }
    }
    phase = "finalize";
    const [key, csr] = await acme.crypto.createCsr(
      { commonName: host, altNames: [host] },
      await acme.crypto.createPrivateEcdsaKey(),
    );
    const finalized = await client.finalizeOrder(order, csr);
    const cert = await client.getCertificate(finalized);
    const info = acme.crypto.readCertificateInfo(cert);
    return { cert, key: key.toString(), notAfter: info.notAfter.toISOString() };
  } catch (e) {
    const f = classify(e, phase);
    if (f.code !== "E_PREVIEWS_ACME_DNS_CHALLENGE" || f.detail.includes(record)) throw f;
    throw new AcmeFailure(f.code, `${f.detail} (the CA looked for TXT ${record})`);
  }
}

/** What went wrong, from acme-client's (axios') error and the step it happened in. */
export function classify(e: unknown, phase: Phase): AcmeFailure {
  if (e instanceof AcmeFailure) return e;
  const err = e as Error & { code?: string; response?: { status?: number; data?: any } };
  const data = err.response?.data;
  const detail = String(data?.detail ?? err.message ?? e)
    .replace(/\s+/g, " ")
    .trim();
  if (
    err.response?.status === 429 ||
    /ratelimited|rate limit|too many/i.test(`${data?.type ?? ""} ${detail}`)
  )
    return new AcmeFailure("E_PREVIEWS_ACME_RATE_LIMITED", detail);
  // No answer at all: refused, timed out, unknown name, or its TLS certificate not trusted.
  if (err.code && !err.response)
    return new AcmeFailure("E_PREVIEWS_ACME_UNREACHABLE", `${err.code} ${detail}`.trim());
  if (phase === "challenge") return new AcmeFailure("E_PREVIEWS_ACME_CHALLENGE", detail);
  if (phase === "dns-challenge") return new AcmeFailure("E_PREVIEWS_ACME_DNS_CHALLENGE", detail);
  return new AcmeFailure("E_PREVIEWS_ACME", detail);
}

/** A fresh ACME account key (PEM). */
export async function newAccountKey(): Promise<string> {
  return (await acme.crypto.createPrivateEcdsaKey()).toString();
}
