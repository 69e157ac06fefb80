/**
 * Stopping odoodeck stops the mail catcher for good: a retention pass due after a burst of mail
 * must not run (nor touch the closed store, nor log) once the plugin is stopped.
 */
import { expect, test } from "bun:test";
import type { MailCatcherService } from "../../plugins/mail-catcher/contract.ts";
import mailCatcherPlugin from "../../plugins/mail-catcher/index.ts";
import { startTestApp } from "../helpers/app.ts";
import { catcherTransport } from "../helpers/catcher-transport.ts";

test("after stop, no retention pass runs and nothing is logged", async () => {
  const t = await startTestApp({ plugins: [mailCatcherPlugin] });
  const box = await (t.core.services.get("mailCatcher") as MailCatcherService).mailboxFor(null, "acme_stop");
  // A mail schedules the mailbox's retention pass shortly after it (a burst costs one pass).
  const sent = await catcherTransport(box).sendMail({ from: "a@acme.test", to: "b@example.com", text: "x" });
  expect(sent.response).toContain("250");
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  // Listening from the moment stop begins: the pass may come due while the store closes.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    await t.stop();
    await Bun.sleep(1000); // past the pass that was due 200 ms after the mail
  } finally {
    process.stderr.write = write;
  }
  expect(lines.filter((l) => l.includes("mail-catcher]"))).toEqual([]);
}, 30_000);
