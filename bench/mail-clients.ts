#!/usr/bin/env bun
/**
 * The SMTP clients of bench/mail.ts, in a process of their own so the catcher's figure is not
 * shared with the clients' CPU: `bun bench/mail-clients.ts <json {host,port,user,password,per,clients}>`.
 * Prints one JSON line: {sent, secs}.
 */
import nodemailer from "nodemailer";

const o = JSON.parse(process.argv[2] ?? "{}") as {
  host: string;
  port: number;
  user: string;
  password: string;
  per: number;
  clients: number;
};
const started = performance.now();
await Promise.all(
  Array.from({ length: o.clients }, async (_, c) => {
    const tr = nodemailer.createTransport({
      host: o.host,
      port: o.port,
      pool: true,
      maxConnections: 1,
      maxMessages: Number.POSITIVE_INFINITY,
      auth: { user: o.user, pass: o.password },
      tls: { rejectUnauthorized: false }, // the catcher's self-signed STARTTLS certificate
    });
    for (let i = 0; i < o.per; i++)
      await tr.sendMail({
        from: `client${c}@acme.test`,
        to: `customer${i % 500}@example.com`,
        subject: `Invoice INV/${c}/${i}`,
        text: `Dear customer, please find invoice ${i} attached.`,
      });
    tr.close();
  }),
);
console.log(JSON.stringify({ sent: o.per * o.clients, secs: (performance.now() - started) / 1000 }));
