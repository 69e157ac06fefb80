/** nodemailer to the mail catcher as Odoo would reach it: STARTTLS required, AUTH with the mailbox's credentials. */
import nodemailer from "nodemailer";

export const catcherTransport = (
  m: { host: string; port: number; user: string; password: string },
  pass = m.password,
  opts: { pool?: boolean } = {},
) =>
  nodemailer.createTransport({
    // pooled: one connection kept open for the messages that follow
    ...(opts.pool ? { pool: true, maxConnections: 1 } : {}),
    host: m.host,
    port: m.port,
    requireTLS: true,
    tls: { rejectUnauthorized: false }, // the catcher's self-signed certificate
    auth: { user: m.user, pass },
  });
