import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import notifications from "../../plugins/notifications/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { wholeStore } from "../helpers/store.ts";

let t: TestApp;
const SECRET = `hmac-${crypto.randomUUID()}`;
const SMTP_PASSWORD = `smtp-${crypto.randomUUID()}`;

interface Hit {
  path: string;
  body: string;
  headers: Headers;
}
const hits: Hit[] = [];
/** Per path: how many more requests answer 500 before the receiver accepts. */
const failuresLeft = new Map<string, number>();
const receiver = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const path = new URL(req.url).pathname;
    hits.push({ path, body: await req.text(), headers: req.headers });
    const left = failuresLeft.get(path) ?? 0;
    if (left > 0) {
      failuresLeft.set(path, left - 1);
      return new Response("down", { status: 500 });
    }
    return new Response("ok");
  },
});

/** A minimal SMTP sink: enough of RFC 5321 for nodemailer to hand over one message. */
const mails: string[] = [];
const smtp = Bun.listen<{ buf: string; data: boolean }>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      s.data = { buf: "", data: false };
      s.write("220 sink ESMTP\r\n");
    },
    data(s, chunk) {
      s.data.buf += chunk.toString();
      for (;;) {
        if (s.data.data) {
          const end = s.data.buf.indexOf("\r\n.\r\n");
          if (end < 0) return;
          mails.push(s.data.buf.slice(0, end));
          s.data.buf = s.data.buf.slice(end + 5);
          s.data.data = false;
          s.write("250 queued\r\n");
          continue;
        }
        const nl = s.data.buf.indexOf("\r\n");
        if (nl < 0) return;
        const line = s.data.buf.slice(0, nl);
        s.data.buf = s.data.buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") s.write("250-sink\r\n250 AUTH PLAIN LOGIN\r\n");
        else if (verb === "AUTH") s.write("235 ok\r\n");
        else if (verb === "DATA") {
          s.data.data = true;
          s.write("354 go\r\n");
        } else if (verb === "QUIT") {
          s.write("221 bye\r\n");
          s.end();
          return;
        } else s.write("250 ok\r\n");
      }
    },
  },
});

async function until<T>(fn: () => Promise<T | undefined | null | false>, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not reached in time");
    await Bun.sleep(25);
  }
}

const deliveries = () =>
  wholeStore(t.core.db).selectFrom("notifications_deliveries").selectAll().orderBy("id").execute();

async function addChannel(form: Record<string, string>) {
  await t.admin.page("/p/notifications");
  const res = await t.admin.post("/p/notifications/channels", form);
  expect(await res.text()).toContain(`Channel ${form.name} added.`);
  const row = await wholeStore(t.core.db)
    .selectFrom("notifications_channels")
    .select("id")
    .where("name", "=", form.name)
    .executeTakeFirstOrThrow();
  return String(row.id);
}

async function addRule(event: string, channelId: string, status = "error") {
  await t.admin.page("/p/notifications");
  const res = await t.admin.post("/p/notifications/rules", { event, status, channelId });
  expect(await res.text()).toContain("Rule added.");
}

/** Runs a real operation that fails, so operation.finished carries status "error". */
async function failingOperation(title: string) {
  const op = t.core.operations.forPlugin("test").start({
    kind: "demo",
    title,
    actor: "tester",
    steps: ["boom"],
    run: async (o) =>
      o.step("boom", async () => {
        throw new Error("disk on fire");
      }),
  });
  return op.done;
}

beforeAll(async () => {
  process.env.ODOODECK_NOTIFY_BACKOFF_MS = "40";
  t = await startTestApp({ plugins: [notifications] });
  delete process.env.ODOODECK_NOTIFY_BACKOFF_MS;
});
afterAll(async () => {
  await t.stop();
  receiver.stop(true);
  smtp.stop(true);
});

describe("notifications", () => {
  test("a failed operation reaches a signed webhook; a successful one does not", async () => {
    const ch = await addChannel({
      name: "hook",
      kind: "webhook",
      url: `${receiver.url}signed`,
      secret: SECRET,
    });
    await addRule("operation.finished", ch);
    const snap = await failingOperation("Nightly backup of acme");
    expect(snap.status).toBe("error");
    const hit = await until(async () => hits.find((h) => h.path === "/signed"));
    const expected = `sha256=${createHmac("sha256", SECRET).update(hit.body).digest("hex")}`;
    expect(hit.headers.get("X-Odoodeck-Signature")).toBe(expected);
    expect(hit.headers.get("X-Odoodeck-Event")).toBe("operation.finished");
    const body = JSON.parse(hit.body);
    expect(body.payload).toMatchObject({ title: "Nightly backup of acme", status: "error" });
    // a tampered body would not verify
    expect(createHmac("sha256", SECRET).update(`${hit.body} `).digest("hex")).not.toBe(expected.slice(7));

    const ok = t.core.operations
      .forPlugin("test")
      .start({ kind: "demo", title: "fine", actor: "x", steps: [], run: async () => 1 });
    await ok.done;
    await Bun.sleep(200);
    expect(hits.filter((h) => h.path === "/signed")).toHaveLength(1);
  });

  test("a receiver failing twice gets the message on the third attempt, visible on the page", async () => {
    failuresLeft.set("/flaky", 2);
    const ch = await addChannel({ name: "flaky-slack", kind: "slack", url: `${receiver.url}flaky` });
    await addRule("job.finished", ch);
    t.core.bus.emit("job.finished", {
      jobId: "backup.nightly",
      instanceId: null,
      status: "error",
      summary: "pg_dump exited 1",
    });
    const sent = await until(async () =>
      (await deliveries()).find((d) => d.event === "job.finished" && d.status === "sent"),
    );
    expect(sent.attempts).toBe(3);
    const flaky = hits.filter((h) => h.path === "/flaky");
    expect(flaky).toHaveLength(3);
    expect(JSON.parse(flaky[2].body).text).toBe(
      "[odoodeck] job.finished error - backup.nightly: pg_dump exited 1",
    );
    const { html } = await t.admin.page("/p/notifications");
    expect(html).toMatch(
      /job\.finished<\/code>.*?flaky-slack.*?data-status="sent"><span class="badge badge-ok">.*?<\/svg>sent.*?>3</s,
    );
  });

  test("a receiver that never accepts ends as failed with its last error shown", async () => {
    failuresLeft.set("/dead", 1000);
    const ch = await addChannel({ name: "dead", kind: "webhook", url: `${receiver.url}dead` });
    await addRule("backup.overdue", ch, "");
    (t.core.bus as any).emit("backup.overdue", { instanceId: 1, status: "overdue" });
    const failed = await until(async () =>
      (await deliveries()).find((d) => d.event === "backup.overdue" && d.status === "failed"),
    );
    expect(failed.attempts).toBe(6);
    expect(failed.last_error).toContain("answered HTTP 500");
    const { html } = await t.admin.page("/p/notifications");
    expect(html).toContain("answered HTTP 500");
    expect(html).toMatch(/data-status="failed"><span class="badge badge-error">.*?<\/svg>failed/);
  });

  test("email goes through SMTP; the secret and the password never show on the page", async () => {
    const ch = await addChannel({
      name: "mail",
      kind: "email",
      smtpHost: "127.0.0.1",
      smtpPort: String(smtp.port),
      smtpUser: "ops",
      smtpPassword: SMTP_PASSWORD,
      from: "odoodeck@example.com",
      to: "ops@example.com",
    });
    await addRule("operation.finished", ch);
    await failingOperation("Restore staging");
    const mail = await until(async () => mails.find((m) => m.includes("Restore staging")));
    expect(mail).toContain("To: ops@example.com");
    expect(mail.replace(/\r\n[ \t]+/g, " ")).toMatch(
      /Subject: \[odoodeck\] operation\.finished error - Restore staging: disk on fire/,
    );
    const { html } = await t.admin.page("/p/notifications");
    expect(html).toContain("ops@example.com via 127.0.0.1");
    expect(html).not.toContain(SMTP_PASSWORD);
    expect(html).not.toContain(SECRET);
  });

  test("runtime lifecycle events are notifiable: a crash and a state change reach the channel", async () => {
    const ch = await addChannel({ name: "ops-chat", kind: "slack", url: `${receiver.url}runtime` });
    await addRule("runtime.crashed", ch, "");
    await addRule("instance.state", ch, "degraded");
    const { html } = await t.admin.page("/p/notifications");
    expect(html).toContain('<option value="runtime.crashed">');
    expect(html).toContain('<option value="instance.state">');
    t.core.bus.emit("runtime.crashed", {
      instanceId: 7,
      name: "preview-42",
      status: "crashed",
      exitCode: 137,
      attempt: 2,
      retryInMs: 4000,
    });
    const at = new Date().toISOString();
    t.core.bus.emit("instance.state", {
      instanceId: 7,
      status: "running",
      previous: "starting",
      detail: "up",
      at,
    });
    t.core.bus.emit("instance.state", {
      instanceId: 7,
      status: "degraded",
      previous: "running",
      detail: "running but /web/health does not answer",
      at,
    });
    const texts = await until(async () => {
      const got = hits.filter((h) => h.path === "/runtime").map((h) => JSON.parse(h.body).text);
      return got.length >= 2 ? got : null;
    });
    await Bun.sleep(200);
    expect(
      hits
        .filter((h) => h.path === "/runtime")
        .map((h) => JSON.parse(h.body).text)
        .sort(),
    ).toEqual([
      "[odoodeck] instance.state degraded - instance #7: running but /web/health does not answer",
      "[odoodeck] runtime.crashed crashed - preview-42: exit code 137, attempt 2, restart in 4 s",
    ]);
    expect(texts).toHaveLength(2); // the "running" state matched no rule
  });

  test("the notifier stops with the plugin: events after stop() are not queued", async () => {
    const rec = t.core.host.get("notifications")!;
    const state = rec.state as { notifier: { running: boolean } };
    expect(state.notifier.running).toBe(true);
    await rec.def!.stop!(rec.ctx!, rec.state);
    expect(state.notifier.running).toBe(false);
    const before = (await deliveries()).length;
    t.core.bus.emit("runtime.crashed", {
      instanceId: null,
      name: "after-stop",
      status: "crashed",
      exitCode: 1,
      attempt: 1,
      retryInMs: 1000,
    });
    await Bun.sleep(200);
    expect((await deliveries()).length).toBe(before);
    await rec.def!.start!(rec.ctx!, rec.state);
    expect(state.notifier.running).toBe(true);
  });

  test("only admins see the notifications page", async () => {
    const op = await t.client("operator");
    expect((await op.get("/p/notifications")).status).toBe(403);
  });
});
