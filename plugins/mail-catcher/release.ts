/**
 * "Release": send one caught message to a real SMTP server, to addresses an admin allowed
 * (settings.releaseAllow: addresses or @domains). Anyone else is refused before anything is sent.
 */
import nodemailer from "nodemailer";
import { AppError } from "../../server/sdk/index.ts";
import type { Catcher } from "./catcher.ts";
import type { MailSettingsValues } from "./settings.ts";

export function allowed(list: string, address: string): boolean {
  const a = address.trim().toLowerCase();
  return list
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .some((e) => (e.startsWith("@") ? a.endsWith(e) : a === e));
}

export async function releaseMessage(
  catcher: Catcher,
  s: MailSettingsValues,
  id: string,
  to: string[],
): Promise<{ accepted: string[] }> {
  const row = await catcher.messages.get(id);
  if (!row) throw new AppError("E_NOT_FOUND", `No message ${id}`);
  if (!to.length) throw new AppError("E_VALIDATION", "Name at least one recipient");
  const refused = to.filter((t) => !allowed(s.releaseAllow, t));
  if (refused.length)
    throw new AppError("E_FORBIDDEN", `Not on the release allow-list: ${refused.join(", ")}`, {
      hint: "An admin adds addresses or @domains to the mail catcher's release allow-list",
    });
  if (!s.releaseHost)
    throw new AppError("E_VALIDATION", "No release SMTP server is configured", {
      hint: "Set the release host in the mail catcher's settings",
    });
  const transport = nodemailer.createTransport({
    host: s.releaseHost,
    port: s.releasePort,
    auth: s.releaseUser ? { user: s.releaseUser, pass: s.releasePassword } : undefined,
    tls: { rejectUnauthorized: false },
  });
  try {
    const info = await transport.sendMail({
      envelope: { from: row.sender || "odoodeck@localhost", to },
      raw: await catcher.files.read(row.mailboxId, row.id),
    });
    return { accepted: info.accepted.map(String) };
  } catch (e) {
    throw new AppError("E_UNREACHABLE", `The release server refused: ${(e as Error).message}`, {
      hint: `Check ${s.releaseHost}:${s.releasePort} and its credentials`,
    });
  } finally {
    transport.close();
  }
}
