/**
 * Inbound: a mail composed on the page (a customer's reply, a lead to sales@) handed to Odoo the
 * way its mail gateway does it: odoo-mailgate.py's XML-RPC `message_process`, which routes by
 * alias or by the reply's references exactly as incoming mail is routed in production.
 */
import nodemailer from "nodemailer";
import { AppError, type InstanceHandle } from "../../../server/sdk/index.ts";
import { call } from "./xmlrpc.ts";

export interface InboundMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Message-Id of the mail this answers (threading into the record it came from). */
  inReplyTo?: string | null;
}

/** The RFC 5322 message, built by nodemailer (nothing is sent: a buffer transport). */
export async function composeRaw(m: InboundMail): Promise<Buffer> {
  const info = await nodemailer.createTransport({ streamTransport: true, buffer: true }).sendMail({
    from: m.from,
    to: m.to,
    subject: m.subject,
    text: m.text,
    ...(m.inReplyTo ? { inReplyTo: m.inReplyTo, references: m.inReplyTo } : {}),
  });
  return info.message as Buffer;
}

/** Where Odoo answers XML-RPC: its public URL, else its http_port on this machine. */
export async function odooUrl(inst: InstanceHandle): Promise<string> {
  if (inst.publicUrl) return inst.publicUrl.replace(/\/+$/, "");
  const { settings } = await inst.odoo();
  return `http://127.0.0.1:${settings.httpPort}`;
}

export async function deliverInbound(
  inst: InstanceHandle,
  login: { user: string; password: string },
  mail: InboundMail,
): Promise<{ result: string; bytes: number }> {
  if (!inst.dbName)
    throw new AppError("E_VALIDATION", "This instance names no database", { hint: "Set its database" });
  if (!login.password)
    throw new AppError("E_VALIDATION", "No Odoo password for inbound mail", {
      hint: "Set the inbound login and password (or API key) in the mail catcher's settings",
    });
  const base = await odooUrl(inst);
  const uid = await call(`${base}/xmlrpc/2/common`, "login", [inst.dbName, login.user, login.password]);
  if (!/^\d+$/.test(uid) || uid === "0")
    throw new AppError("E_AUTH_FAILED", `Odoo refused the login ${login.user}`, {
      hint: "Check the inbound login in the settings",
    });
  const raw = await composeRaw(mail);
  const result = await call(`${base}/xmlrpc/2/object`, "execute_kw", [
    inst.dbName,
    Number(uid),
    login.password,
    "mail.thread",
    "message_process",
    [false, new Uint8Array(raw)],
    {},
  ]);
  return { result, bytes: raw.length };
}
