/**
 * Certificates for preview hosts from an ACME CA (RFC 8555) with acme-client: one certificate per
 * `<preview>.<preview domain>`, proven by HTTP-01, which odoodeck answers itself on its HTTP
 * listener for that host (see proxy.ts). Failures come back as E_PREVIEWS_ACME_* with the CA's
 * own words: unreachable CA, failed challenge, rate limit, anything else.
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

export interface AcmeOptions {
  directoryUrl: string;
  email: string;
  /** PEM of the CA that signs the ACME server's own HTTPS certificate (private CAs only). */
  caPem: string | null;
  accountKey: string;
  answers: Http01Answers;
}

export interface IssuedCertificate {
  cert: string;
  key: string;
  notAfter: string;
}

export type Phase = "account" | "order" | "challenge" | "finalize";

/** Issues a certificate for `host` (HTTP-01), or throws an AcmeFailure. */
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
  try {
    await client.createAccount({
      termsOfServiceAgreed: true,
      ...(o.email ? { contact: [`mailto:${o.email}`] } : {}),
    });
    phase = "order";
    const order = await client.createOrder({ identifiers: [{ type: "dns", value: host }] });
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === "valid") continue;
      const ch = authz.challenges.find((c) => c.type === "http-01");
      if (!ch) throw new Error(`the CA offers no HTTP-01 challenge for ${host}`);
      phase = "challenge";
      o.answers.set(ch.token, host, await client.getChallengeKeyAuthorization(ch));
      try {
        await client.completeChallenge(ch);
        await client.waitForValidStatus(ch);
      } finally {
        o.answers.delete(ch.token);
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
    throw classify(e, phase);
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
  return new AcmeFailure("E_PREVIEWS_ACME", detail);
}

/** A fresh ACME account key (PEM). */
export async function newAccountKey(): Promise<string> {
  return (await acme.crypto.createPrivateEcdsaKey()).toString();
}
