/**
 * Who sent a push webhook, and whether it holds the hook's secret: GitHub signs the body with
 * HMAC-SHA256 (X-Hub-Signature-256: sha256=<hex>), Gitea too (X-Gitea-Signature: <hex>), GitLab
 * sends the secret itself (X-Gitlab-Token). Every comparison is constant-time.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type Provider = "github" | "gitlab" | "gitea";

export interface PushEvent {
  provider: Provider;
  /** The push's event name as sent (push, Push Hook, ping…). */
  event: string;
  branch: string | null;
  after: string | null;
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Length is not secret (a hex digest's is fixed); the bytes are compared in constant time.
  return x.length === y.length && timingSafeEqual(x, y);
};
const hmac = (secret: string, body: string) => createHmac("sha256", secret).update(body).digest("hex");

/** Gitea also sends GitHub's headers for compatibility: its own come first. */
export function providerOf(h: (name: string) => string | undefined): Provider | null {
  if (h("X-Gitea-Event") || h("X-Gitea-Signature")) return "gitea";
  if (h("X-Gitlab-Event") || h("X-Gitlab-Token")) return "gitlab";
  if (h("X-GitHub-Event") || h("X-Hub-Signature-256")) return "github";
  return null;
}

export function verifySignature(
  provider: Provider,
  h: (name: string) => string | undefined,
  body: string,
  secret: string,
): boolean {
  if (provider === "gitlab") return same(h("X-Gitlab-Token") ?? "", secret);
  if (provider === "gitea") return same((h("X-Gitea-Signature") ?? "").toLowerCase(), hmac(secret, body));
  return same((h("X-Hub-Signature-256") ?? "").toLowerCase(), `sha256=${hmac(secret, body)}`);
}

/** The branch and commit of a push payload (the three providers share `ref` and `after`). */
export function parsePush(
  provider: Provider,
  h: (name: string) => string | undefined,
  body: string,
): PushEvent {
  const event = h("X-Gitea-Event") ?? h("X-Gitlab-Event") ?? h("X-GitHub-Event") ?? "";
  let p: { ref?: unknown; after?: unknown } = {};
  try {
    p = JSON.parse(body);
  } catch {
    // A signed body that is not JSON carries no push: answered as ignored.
  }
  const ref = typeof p.ref === "string" && p.ref.startsWith("refs/heads/") ? p.ref.slice(11) : null;
  const after = typeof p.after === "string" && /^[0-9a-f]{40,64}$/.test(p.after) ? p.after : null;
  return { provider, event, branch: ref, after };
}
