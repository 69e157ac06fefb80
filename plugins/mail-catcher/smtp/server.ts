/**
 * The SMTP side: AUTH per mailbox (PLAIN/LOGIN), STARTTLS with the self-signed certificate,
 * size refused while the data arrives (memory stays bounded), flood gate, chaos.
 */
import type { Readable } from "node:stream";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import type { Catcher } from "../catcher.ts";
import { chaosRefusal } from "./chaos.ts";
import { FloodGate } from "./flood.ts";
import type { TlsFiles } from "./tls.ts";

export interface SmtpOptions {
  host: string;
  port: number;
  tls: TlsFiles;
  maxBytes: () => number;
  perMinute: () => number;
}

const smtpError = (code: number, message: string) =>
  Object.assign(new Error(message), { responseCode: code });
const isLoopback = (h: string) => h === "localhost" || h === "::1" || h.startsWith("127.");

/** Reads the DATA stream up to `max` bytes; past that it drains without keeping anything. */
function readCapped(stream: Readable, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    stream.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
      } else if (!over) chunks.push(c);
    });
    stream.on("end", () => resolve(over ? null : Buffer.concat(chunks, size)));
    stream.on("error", reject);
  });
}

export async function startSmtp(
  catcher: Catcher,
  o: SmtpOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const gate = new FloodGate(o.perMinute);
  const server = new SMTPServer({
    key: o.tls.key,
    cert: o.tls.cert,
    name: "odoodeck-mail-catcher",
    banner: "odoodeck mail catcher: nothing leaves",
    logger: false,
    authMethods: ["PLAIN", "LOGIN"],
    // Plain-text AUTH only where nobody can listen in (Odoo on the same machine, no TLS set up)
    allowInsecureAuth: isLoopback(o.host),
    size: o.maxBytes(),
    maxClients: 200,
    async onAuth(auth, _session, cb) {
      const box = catcher.mailboxes.byUser(auth.username ?? "");
      if (box && (await catcher.mailboxes.checkPassword(box, auth.password ?? "")))
        return cb(null, { user: box.id });
      cb(smtpError(535, "Authentication failed: unknown mailbox or wrong password"));
    },
    onMailFrom(_address, session, cb) {
      if (!gate.take(session.remoteAddress))
        return cb(smtpError(421, "Too many messages from your address this minute; try again later"));
      cb();
    },
    async onData(stream, session: SMTPServerSession, cb) {
      try {
        const raw = await readCapped(stream, o.maxBytes());
        if (!raw)
          return cb(smtpError(552, `Message larger than ${Math.round(o.maxBytes() / 1048576)} MB refused`));
        const box = catcher.mailboxes.get(Number(session.user));
        if (!box) return cb(smtpError(451, "Mailbox was removed; try again later"));
        const chaos = chaosRefusal(box);
        if (chaos) return cb(chaos);
        const env = session.envelope;
        const row = await catcher.deliver(box, raw, {
          from: env.mailFrom ? env.mailFrom.address : "",
          to: env.rcptTo.map((r) => r.address),
        });
        cb(null, `Caught as ${row.id}`);
      } catch (e) {
        catcher.ctx.log.warn("could not store a message", { error: String(e) });
        cb(smtpError(451, "Could not store the message; try again later"));
      }
    },
  });
  server.on("error", (e) => catcher.ctx.log.warn("smtp error", { error: String(e) }));
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
