#!/usr/bin/env bun
/**
 * Mail catcher throughput and scale: 20 concurrent SMTP clients (nodemailer, pooled, AUTH) into a
 * real odoodeck; msgs/s compared with Mailpit's published 200–300/s. Then RSS while holding all
 * of them and search time over them.
 *   bun bench/mail.ts [total=100000] [clients=20]
 */
import { join } from "node:path";
import type { MailCatcherService } from "../plugins/mail-catcher/contract.ts";
import { startTestApp } from "../tests/helpers/app.ts";

const total = Number(process.argv[2] ?? 100_000);
const clients = Number(process.argv[3] ?? 20);
const t = await startTestApp();
try {
  const rec = t.core.host.get("mail-catcher")!;
  const { writeSettings } = await import("../server/plugin-host/settings.ts");
  await writeSettings(t.core.db, t.core.secrets, "mail-catcher", rec.def!.settings!, {
    floodPerMinute: 1_000_000,
    retainCount: 1_000_000,
    retainMb: 100_000,
  });
  await Bun.sleep(2200);
  const box = await (t.core.services.get("mailCatcher") as MailCatcherService).mailboxFor(null, "bench");
  const per = Math.ceil(total / clients);
  // The clients run in their own process: the figure is the catcher's, not shared with nodemailer
  const child = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "mail-clients.ts"),
      JSON.stringify({
        host: box.host,
        port: box.port,
        user: box.user,
        password: box.password,
        per,
        clients,
      }),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const cpu0 = process.cpuUsage();
  const out = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error("the client process failed");
  const { secs } = JSON.parse(out.trim().split("\n").at(-1)!) as { secs: number };
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `sent ${per * clients} messages from ${clients} clients in ${secs.toFixed(1)} s: ${((per * clients) / secs).toFixed(0)} msgs/s (Mailpit publishes 200–300/s); catcher CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`,
  );
  Bun.gc(true);
  console.log(
    `RSS holding ${per * clients} messages: ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB (odoodeck alone; the clients run in another process)`,
  );
  const c = (await import("../plugins/mail-catcher/store/messages.ts")).Messages;
  const m = new c(t.core.db);
  for (const q of ["subject:INV/3/77", "customer42@example.com", "from:client7@acme.test invoice"]) {
    const s = performance.now();
    const r = await m.list({ mailboxIds: [box.mailbox], query: q, limit: 50 });
    console.log(`search "${q}": ${r.total} hits in ${(performance.now() - s).toFixed(0)} ms`);
  }
} finally {
  await t.stop();
}
