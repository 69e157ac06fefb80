import { createHmac } from "node:crypto";
import { AppError, sendMail } from "odoodeck/sdk";
import type { Channel } from "./channels.ts";

export interface Notice {
  id: number;
  event: string;
  payload: unknown;
  at: string;
}

/** "sha256=<hex>" of the exact body bytes, as GitHub-style receivers expect. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** One human line for chat and mail subjects. */
export function summarize(n: Notice): string {
  const p = (n.payload ?? {}) as Record<string, any>;
  const instance = p.instanceId != null ? `instance #${p.instanceId}` : null;
  const what = p.title ?? p.jobId ?? p.name ?? p.summary ?? instance ?? "";
  const status = p.status ? ` ${p.status}` : "";
  // runtime.crashed: how it died and when it is tried again; instance.state: why it changed.
  const crash =
    p.exitCode != null
      ? `exit code ${p.exitCode}, attempt ${p.attempt}, restart in ${Math.round(p.retryInMs / 1000)} s`
      : null;
  const err = p.error?.message
    ? `: ${p.error.message}`
    : p.summary && p.summary !== what
      ? `: ${p.summary}`
      : (p.detail ?? crash)
        ? `: ${p.detail ?? crash}`
        : "";
  return `[odoodeck] ${n.event}${status}${what ? ` - ${what}` : ""}${err}`;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "odoodeck", ...headers },
      body,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    throw new AppError("E_UNREACHABLE", `Cannot reach ${new URL(url).host}: ${(e as Error).message}`);
  }
  await res.arrayBuffer().catch(() => {});
  if (!res.ok) throw new AppError("E_COMMAND_FAILED", `${new URL(url).host} answered HTTP ${res.status}`);
}

/** Delivers one notice through one channel; throws an AppError (message without secrets) on failure. */
export async function sendNotice(ch: Channel, n: Notice): Promise<void> {
  const c = ch.config;
  if (ch.kind === "webhook") {
    const body = JSON.stringify({ id: n.id, event: n.event, at: n.at, payload: n.payload });
    const headers: Record<string, string> = {
      "X-Odoodeck-Event": n.event,
      "X-Odoodeck-Delivery": String(n.id),
    };
    if (c.secret) headers["X-Odoodeck-Signature"] = signBody(c.secret, body);
    return post(c.url!, body, headers);
  }
  if (ch.kind === "slack") return post(c.url!, JSON.stringify({ text: summarize(n) }), {});
  await sendMail(
    {
      host: c.smtpHost ?? "",
      port: c.smtpPort ?? 587,
      secure: c.smtpSecure,
      user: c.smtpUser,
      password: c.smtpPassword,
    },
    {
      from: c.from ?? "",
      to: c.to ?? "",
      subject: summarize(n),
      text: `${summarize(n)}\n\n${JSON.stringify(n.payload, null, 2)}\n`,
    },
  );
}
