import { createHmac } from "node:crypto";
import { AppError } from "../errors.ts";
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
  const what = p.title ?? p.jobId ?? p.summary ?? "";
  const status = p.status ? ` ${p.status}` : "";
  const err = p.error?.message
    ? `: ${p.error.message}`
    : p.summary && p.summary !== what
      ? `: ${p.summary}`
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
  const nodemailer = (await import("nodemailer")).default;
  const transport = nodemailer.createTransport({
    host: c.smtpHost,
    port: c.smtpPort,
    secure: !!c.smtpSecure,
    auth: c.smtpUser ? { user: c.smtpUser, pass: c.smtpPassword ?? "" } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
    tls: { rejectUnauthorized: !/^(127\.|localhost$)/.test(c.smtpHost ?? "") },
  });
  try {
    await transport.sendMail({
      from: c.from,
      to: c.to,
      subject: summarize(n),
      text: `${summarize(n)}\n\n${JSON.stringify(n.payload, null, 2)}\n`,
    });
  } catch (e) {
    throw new AppError(
      "E_UNREACHABLE",
      `Mail to ${c.smtpHost}:${c.smtpPort} failed: ${(e as Error).message.split("\n")[0]}`,
    );
  } finally {
    transport.close();
  }
}
