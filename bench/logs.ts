/**
 * Logs plugin benchmarks, through the wired plugin (a real odoodeck on a local port, its HTTP
 * API and SSE streams), side by side with the raw tools in the same run:
 *   1. follow latency: line appended to the file → line received by an SSE client, p50/p95,
 *      local and over SSH (loopback sshd), vs `tail -F` locally;
 *   2. search over a big log (the fixture repeated, one day later each copy) vs `grep -c`,
 *      through the API (NDJSON over HTTP) and the search function itself;
 *   3. RSS of the odoodeck process while following 20 instances at once over SSE, local and
 *      over SSH (20 servers, one instance each), lines appended to every file meanwhile.
 * Run: node_modules/.bin/bun bench/logs.ts [--size-mb 1024] [--samples 1000] [--seconds 5]
 * (needs /usr/sbin/sshd; runs as root). The bench's own clients live in the same process, so the
 * RSS includes them: it is an upper bound for the server.
 */
import { appendFileSync, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogFilter } from "../plugins/logs/search/filter.ts";
import logs from "../plugins/logs/index.ts";
import { searchFile } from "../plugins/logs/search/search.ts";
import { LocalConnection } from "../server/connections/local.ts";
import { startTestApp, type TestApp } from "../tests/helpers/app.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { getSshd, type TestSshd } from "../tests/helpers/sshd.ts";
import { fixtureLogInstance, SseClient } from "../tests/integration/logs-helpers.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]) || fallback;
};
const sizeMb = arg("size-mb", 1024);
const samples = arg("samples", 1000);
const seconds = arg("seconds", 5);
const dir = mkdtempSync(join(tmpdir(), "bench-logs-"));
const rows: string[][] = [];
const pct = (xs: number[], p: number) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const ms = (x: number) => `${x.toFixed(1)} ms`;
const line = (msg: string) => `2026-11-22 20:30:01,000 6180 INFO acme_prod bench: ${msg}\n`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

/** Appends `samples` lines at random 20–80 ms intervals; times each until an SSE client has it. */
async function sseLatency(t: TestApp, instanceId: number, log: string): Promise<number[]> {
  const es = await SseClient.open(t.admin, `/api/v1/logs/i/${instanceId}/follow`);
  await es.until((ev) => ev.some((e) => e.event === "started"));
  const sent = new Map<string, number>();
  const got: number[] = [];
  let seen = 0;
  const collect = () => {
    for (; seen < es.events.length; seen++) {
      const e = es.events[seen];
      if (e.event !== "records") continue;
      const now = performance.now();
      for (const r of JSON.parse(e.data)) {
        const t0 = sent.get(r.message.slice(6));
        if (t0 !== undefined) got.push(now - t0);
      }
    }
  };
  // Received times are taken when the event is parsed: poll often.
  const poll = setInterval(collect, 1);
  for (let i = 0; i < samples; i++) {
    await Bun.sleep(20 + Math.random() * 60);
    sent.set(`m${i}`, performance.now());
    appendFileSync(log, line(`bench:m${i}`));
  }
  await es.until(() => (collect(), got.length >= samples), 30_000).catch(() => {});
  clearInterval(poll);
  await es.close();
  return got;
}

async function tailLatency(n: number): Promise<number[]> {
  const path = join(dir, "tail.log");
  writeFileSync(path, "");
  const p = Bun.spawn(["tail", "-F", "-n", "0", path], { stdout: "pipe", stderr: "ignore" });
  await Bun.sleep(200);
  const got: number[] = [];
  const reader = p.stdout.getReader();
  for (let i = 0; i < n; i++) {
    await Bun.sleep(20 + Math.random() * 60);
    const t = performance.now();
    appendFileSync(path, line(`m${i}`));
    await reader.read();
    got.push(performance.now() - t);
  }
  p.kill();
  return got;
}

async function makeBigLog(path: string, mb: number): Promise<number> {
  const base = readFileSync("/work/shared/fixtures/odoo17/odoo.log", "utf8");
  const out = createWriteStream(path);
  let size = 0;
  let copies = 0;
  const day0 = Date.UTC(2020, 0, 1);
  while (size < mb * 1024 * 1024) {
    const date = new Date(day0 + copies * 86_400_000).toISOString().slice(0, 10);
    const chunk = base.replaceAll("2026-11-22 ", `${date} `);
    if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
    size += Buffer.byteLength(chunk);
    copies++;
  }
  await new Promise((r) => out.end(r));
  return copies;
}

async function timeIt<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

async function directSearch(path: string, filter: LogFilter): Promise<number> {
  let n = 0;
  for await (const _ of searchFile(new LocalConnection(), path, { filter, maxResults: 10_000_000 })) n++;
  return n;
}

/** The API search (NDJSON over HTTP), counted as a client reads it. */
async function apiSearch(t: TestApp, instanceId: number, query: string): Promise<number> {
  const res = await t.admin.get(`/api/v1/logs/i/${instanceId}/search?source=all&${query}&max=1000000`);
  let n = 0;
  let rest = "";
  const dec = new TextDecoder();
  for await (const chunk of res.body!) {
    const text = rest + dec.decode(chunk, { stream: true });
    const parts = text.split("\n");
    rest = parts.pop()!;
    for (const p of parts) if (p.startsWith('{"type":"record"')) n++;
  }
  return n;
}

async function grepCount(args: string[]): Promise<number> {
  const p = Bun.spawn(["env", "LC_ALL=C", "grep", "-c", ...args], { stdout: "pipe" });
  return Number((await new Response(p.stdout).text()).trim());
}

async function addSshServer(t: TestApp, sshd: TestSshd, name: string): Promise<number> {
  await t.admin.page("/servers");
  const res = await t.admin.post("/servers/new", {
    name,
    kind: "ssh",
    host: sshd.host,
    port: String(sshd.port),
    username: sshd.username,
    privateKey: sshd.privateKey,
  });
  return Number(/\/servers\/(\d+)/.exec(res.headers.get("Location")!)![1]);
}

/** 20 instances followed at once over SSE while every file grows; RSS before and at its peak. */
async function rssFollowing(t: TestApp, instances: Array<{ id: number; log: string }>) {
  Bun.gc(true);
  const before = process.memoryUsage().rss;
  const clients = await Promise.all(
    instances.map((i) => SseClient.open(t.admin, `/api/v1/logs/i/${i.id}/follow`)),
  );
  await Promise.all(
    clients.map((c) => c.until((ev) => ev.some((e) => e.event === "started" || e.event === "failed"))),
  );
  const failed = clients.filter((c) => c.of("failed").length).length;
  const end = Date.now() + seconds * 1000;
  let peak = before;
  while (Date.now() < end) {
    for (const i of instances) appendFileSync(i.log, line("x".repeat(100)).repeat(20));
    peak = Math.max(peak, process.memoryUsage().rss);
    await Bun.sleep(50);
  }
  await Bun.sleep(500);
  const records = clients.reduce(
    (n, c) => n + c.of("records").reduce((m, e) => m + JSON.parse(e.data).length, 0),
    0,
  );
  await Promise.all(clients.map((c) => c.close()));
  return { before, peak, records, failed };
}

const t = await startTestApp({ plugins: [logs] });
const sshd = await getSshd();
try {
  // Search results are capped per request; the bench wants every one.
  await t.admin.page("/settings");
  await t.admin.post("/settings/logs", { search_max_results: "1000000" });

  const local = await fixtureLogInstance(t, { name: "bench-local", logBody: "" });
  const remote = await fixtureLogInstance(t, { name: "bench-ssh", logBody: "" });
  const sshServer = await addSshServer(t, sshd, "bench-ssh");
  await t.core.db
    .updateTable("instances")
    .set({ server_id: sshServer })
    .where("id", "=", remote.id)
    .execute();

  const tail = await tailLatency(Math.min(samples, 200));
  const fl = await sseLatency(t, local.id, local.log);
  const fs = await sseLatency(t, remote.id, remote.log);
  const p = (xs: number[]) => `${ms(pct(xs, 50))} / ${ms(pct(xs, 95))}`;
  rows.push(["append → delivered, p50 / p95", `tail -F local (${tail.length} lines)`, p(tail), "", ""]);
  rows.push(["", `odoodeck SSE local (${fl.length}/${samples})`, p(fl), "", "target p95 < 250 ms"]);
  rows.push(["", `odoodeck SSE over SSH (${fs.length}/${samples})`, p(fs), "", "target p95 < 250 ms"]);

  const big = await fixtureLogInstance(t, { name: "bench-big", logBody: "" });
  const copies = await makeBigLog(big.log, sizeMb);
  const sizeGb = (Bun.file(big.log).size / 1024 ** 3).toFixed(2);
  const cases: Array<[string, LogFilter, string, string[]]> = [
    [
      "text 'Login failed'",
      { text: "Login failed" },
      "q=Login%20failed",
      ["-F", "-i", "-e", "Login failed", big.log],
    ],
    [
      "level >= WARNING",
      { level: "WARNING" },
      "level=warning",
      ["-E", "-e", "^[0-9-]{10} [0-9:,]{12} [0-9]+ (WARNING|ERROR|CRITICAL) ", big.log],
    ],
    [
      "logger werkzeug",
      { logger: "werkzeug" },
      "logger=werkzeug",
      ["-E", "-e", "^[0-9-]{10} [0-9:,]{12} [0-9]+ [A-Z]+ [^ ]+ werkzeug:", big.log],
    ],
  ];
  for (const [name, filter, query, grepArgs] of cases) {
    const [tg, cg] = await timeIt(() => grepCount(grepArgs));
    const [tl, nl] = await timeIt(() => directSearch(big.log, filter));
    const [ta, na] = await timeIt(() => apiSearch(t, big.id, query));
    rows.push([`search ${sizeGb} GB: ${name}`, "grep -c", `${ms(tg)} (${cg} lines)`, "1.00x", ""]);
    rows.push(["", "searchFile (in process)", `${ms(tl)} (${nl} records)`, `${(tl / tg).toFixed(2)}x`, ""]);
    rows.push([
      "",
      "odoodeck API (NDJSON/HTTP)",
      `${ms(ta)} (${na} records)`,
      `${(ta / tg).toFixed(2)}x`,
      "target ≤ 2x",
    ]);
  }
  rows.push(["(log)", `${copies} copies of the fixture`, "", "", ""]);
  rmSync(big.log);

  const localMany = [];
  for (let i = 0; i < 20; i++)
    localMany.push(await fixtureLogInstance(t, { name: `rss-local-${i}`, logBody: "" }));
  const rl = await rssFollowing(t, localMany);
  rows.push([
    "RSS following 20 instances (local)",
    `${rl.records} records in ${seconds} s${rl.failed ? `, ${rl.failed} refused` : ""}`,
    `${mib(rl.before)} → ${mib(rl.peak)}`,
    "",
    "",
  ]);
  const sshMany = [];
  for (let i = 0; i < 20; i++) {
    const inst = await fixtureLogInstance(t, { name: `rss-ssh-${i}`, logBody: "" });
    const sid = await addSshServer(t, sshd, `rss-ssh-${i}`);
    await t.core.db.updateTable("instances").set({ server_id: sid }).where("id", "=", inst.id).execute();
    sshMany.push(inst);
  }
  const rs = await rssFollowing(t, sshMany);
  rows.push([
    "RSS following 20 instances (20 SSH servers)",
    `${rs.records} records in ${seconds} s${rs.failed ? `, ${rs.failed} refused` : ""}`,
    `${mib(rs.before)} → ${mib(rs.peak)}`,
    "",
    "",
  ]);
} finally {
  await t.stop();
  await runCleanups();
  rmSync(dir, { recursive: true, force: true });
}

const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i].length), 6));
console.log(["measure", "tool", "result", "ratio", "note"].map((h, i) => h.padEnd(widths[i])).join(" | "));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join(" | "));
process.exit(0);
