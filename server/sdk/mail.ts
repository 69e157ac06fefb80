import { AppError } from "../errors.ts";

/** Where and how to hand mail over (an SMTP relay). */
export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  user?: string;
  password?: string;
}

export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends one message through an SMTP relay (nodemailer inside: plugins, third-party ones included,
 * cannot import it from the binary). A failure is E_UNREACHABLE with the server's first line,
 * never the password. Certificates are checked except on a loopback relay.
 * @example
 * await sendMail({ host: "smtp.example.com", port: 587, user: "ops", password },
 *   { from: "odoodeck@example.com", to: "ops@example.com", subject: "Backup failed", text });
 */
export async function sendMail(smtp: SmtpSettings, msg: MailMessage): Promise<void> {
  const nodemailer = (await import("nodemailer")).default;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: !!smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password ?? "" } : undefined,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
    tls: { rejectUnauthorized: !/^(127\.|localhost$)/.test(smtp.host) },
  });
  try {
    await transport.sendMail(msg);
  } catch (e) {
    throw new AppError(
      "E_UNREACHABLE",
      `Mail to ${smtp.host}:${smtp.port} failed: ${(e as Error).message.split("\n")[0]}`,
    );
  } finally {
    transport.close();
  }
}
