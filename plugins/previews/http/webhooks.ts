/**
 * Pull-request webhooks from GitHub, GitLab and Gitea: the signature is checked (constant time)
 * before anything is read, then opened → create, synchronized → update, closed/merged → destroy.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type Provider = "github" | "gitlab" | "gitea";

export interface PrEvent {
  action: "open" | "sync" | "close" | "ignore";
  repo: string;
  number: number;
  branch: string;
  sha: string;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** GitHub: X-Hub-Signature-256 = sha256=<hmac>; Gitea: X-Gitea-Signature = <hmac>; GitLab: X-Gitlab-Token. */
export function verifySignature(provider: Provider, secret: string, headers: Headers, body: string): boolean {
  if (!secret) return false;
  const mac = createHmac("sha256", secret).update(body).digest("hex");
  if (provider === "github") return same(headers.get("x-hub-signature-256") ?? "", `sha256=${mac}`);
  if (provider === "gitea") return same(headers.get("x-gitea-signature") ?? "", mac);
  return same(headers.get("x-gitlab-token") ?? "", secret);
}

const GH: Record<string, PrEvent["action"]> = {
  opened: "open",
  reopened: "open",
  synchronize: "sync",
  synchronized: "sync",
  closed: "close",
};
const GL: Record<string, PrEvent["action"]> = {
  open: "open",
  reopen: "open",
  update: "sync",
  close: "close",
  merge: "close",
};

export function parseEvent(provider: Provider, headers: Headers, payload: any): PrEvent | null {
  if (provider === "gitlab") {
    if (headers.get("x-gitlab-event") !== "Merge Request Hook") return null;
    const a = payload.object_attributes ?? {};
    return {
      action: GL[a.action] ?? "ignore",
      repo: String(payload.project?.path_with_namespace ?? ""),
      number: Number(a.iid),
      branch: String(a.source_branch ?? ""),
      sha: String(a.last_commit?.id ?? ""),
    };
  }
  const event = headers.get(provider === "github" ? "x-github-event" : "x-gitea-event");
  if (event !== "pull_request") return null;
  const pr = payload.pull_request ?? {};
  return {
    action: GH[payload.action] ?? "ignore",
    repo: String(payload.repository?.full_name ?? ""),
    number: Number(payload.number ?? pr.number),
    branch: String(pr.head?.ref ?? ""),
    sha: String(pr.head?.sha ?? ""),
  };
}

/** The commit status call (GitHub and Gitea share the route; GitLab has its own). */
export function statusRequest(
  provider: Provider,
  base: string,
  token: string,
  ev: Pick<PrEvent, "repo" | "sha">,
  status: { state: "pending" | "success" | "failure"; url: string; description: string },
): { url: string; init: RequestInit } {
  const root = base.replace(/\/+$/, "");
  if (provider === "gitlab") {
    const q = new URLSearchParams({
      state: status.state === "failure" ? "failed" : status.state,
      target_url: status.url,
      description: status.description,
      name: "odoodeck/preview",
    });
    return {
      url: `${root}/projects/${encodeURIComponent(ev.repo)}/statuses/${ev.sha}?${q}`,
      init: { method: "POST", headers: { "PRIVATE-TOKEN": token } },
    };
  }
  return {
    url: `${root}/repos/${ev.repo}/statuses/${ev.sha}`,
    init: {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: provider === "github" ? `Bearer ${token}` : `token ${token}`,
      },
      body: JSON.stringify({
        state: status.state,
        target_url: status.url,
        description: status.description,
        context: "odoodeck/preview",
      }),
    },
  };
}
