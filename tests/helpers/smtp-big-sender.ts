/**
 * Sends one mail with an attachment of `mb` MB of random bytes over STARTTLS + AUTH, from a
 * process of its own, so a test measures the catcher and not its own event loop busy encoding.
 *   bun tests/helpers/smtp-big-sender.ts '{"host","port","user","password","mb","to","subject"}'
 * Prints the server's final answer.
 */
import { randomBytes } from "node:crypto";
import { catcherTransport } from "./catcher-transport.ts";

const o = JSON.parse(process.argv[2] ?? "{}");
const info = await catcherTransport(o).sendMail({
  from: "archive@acme.test",
  to: o.to,
  subject: o.subject,
  text: "attached",
  attachments: [{ filename: "archive.bin", content: randomBytes(o.mb * 1024 * 1024) }],
});
console.log(info.response);
