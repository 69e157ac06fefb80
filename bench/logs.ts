/**
 * Logs plugin benchmarks, side by side with the raw tools in the same run:
 *   1. follow latency (append → record delivered), local and over SSH, vs `tail -F` locally;
 *   2. search over a 1 GB log (the fixture repeated, one day later each copy) vs `grep -c`;
 *   3. RSS while following 20 files at once.
 * Run: node_modules/.bin/bun bench/logs.ts [--size-mb 1024]
 */
import { appendFileSync, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Connection } from "../server/connections/types.ts";
import { LocalConnection } from "../server/connections/local.ts";
import { SshConnection } from "../server/connections/ssh.ts";
import { followFile } from "../plugins/logs/follow.ts";
import { searchFile } from "../plugins/logs/search.ts";
import type { LogFilter } from "../plugins/logs/filter.ts";
import { getSshd } from "../tests/helpers/sshd.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";

const sizeMb = Number(process.argv[process.argv.indexOf("--size-mb") + 1]) || 1024;
const dir = mkdtempSync(join(tmpdir(), "bench-logs-"));
const rows: string[][] = [];
const pct = (xs: number[], p: number) =>
  xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
const ms = (x: number) => `${x.toFixed(1)} ms`;
const line = (msg: string) => `2026-11-22 20:30:01,000 6180 INFO acme_prod bench: ${msg}\n`;

async function followLatency(conn: Connection, samples = 100): Promise<number[]> {
  const path = join(dir, `follow-${conn.kind}.log`);
  writeFileSync(path, "");
  const ac = new AbortController();
  const sent = new Map<string, number>();
  const got: number[] = [];
  const it = followFile(conn, path, { signal: ac.signal, intervalMs: 100 });
  const done = (async () => {
    for await (const ev of it) {
      if (ev.type === "started") void writer();
      if (ev.type !== "records") continue;
      for (const r of ev.records) {
        const t = sent.get(r.message);
        if (t !== undefined) got.push(performance.now() - t);
      }
      if (got.length >= samples) ac.abort();
    }
  })();
  async function writer() {
    for (let i = 0; i < samples; i++) {
      await Bun.sleep(20 + Math.random() * 60);
      sent.set(`m${i}`, performance.now());
      appendFileSync(path, line(`m${i}`));
    }
  }
  await done;
  return got;
}

async function tailLatency(samples = 100): Promise<number[]> {
  const path = join(dir, "tail.log");
  writeFileSync(path, "");
  const p = Bun.spawn(["tail", "-F", "-n", "0", path], { stdout: "pipe" });
  await Bun.sleep(200);
  const got: number[] = [];
  const reader = p.stdout.getReader();
  for (let i = 0; i < samples; i++) {
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

async function ourSearch(conn: Connection, path: string, filter: LogFilter): Promise<number> {
  let n = 0;
  for await (const _ of searchFile(conn, path, { filter, maxResults: 10_000_000 })) n++;
  return n;
}

async function grepCount(args: string[]): Promise<number> {
  const p = Bun.spawn(["env", "LC_ALL=C", "grep", "-c", ...args], { stdout: "pipe" });
  return Number((await new Response(p.stdout).text()).trim());
}

async function rssFollowing(conn: Connection, files = 20, seconds = 5): Promise<[number, number, number]> {
  Bun.gc(true);
  const before = process.memoryUsage().rss;
  const ac = new AbortController();
  let count = 0;
  const paths = Array.from({ length: files }, (_, i) => join(dir, `rss-${conn.kind}-${i}.log`));
  for (const p of paths) writeFileSync(p, "");
  const runs = paths.map(async (p) => {
    for await (const ev of followFile(conn, p, { signal: ac.signal }))
      if (ev.type === "records") count += ev.records.length;
  });
  const end = Date.now() + seconds * 1000;
  let peak = before;
  while (Date.now() < end) {
    for (const p of paths) appendFileSync(p, line("x".repeat(100)).repeat(20));
    peak = Math.max(peak, process.memoryUsage().rss);
    await Bun.sleep(50);
  }
  ac.abort();
  await Promise.allSettled(runs);
  return [before, peak, count];
}

const local = new LocalConnection();
const sshd = await getSshd();
const ssh = new SshConnection({
  host: sshd.host,
  port: sshd.port,
  username: sshd.username,
  privateKey: sshd.privateKey,
});
try {
  const tail = await tailLatency();
  const fl = await followLatency(local);
  const fs = await followLatency(ssh);
  rows.push([
    "follow latency p50 / p95",
    "tail -F (local)",
    `${ms(pct(tail, 50))} / ${ms(pct(tail, 95))}`,
    "",
    "",
  ]);
  rows.push(["", "odoodeck local", `${ms(pct(fl, 50))} / ${ms(pct(fl, 95))}`, "", "target p95 < 250 ms"]);
  rows.push(["", "odoodeck ssh", `${ms(pct(fs, 50))} / ${ms(pct(fs, 95))}`, "", "target p95 < 250 ms"]);

  const big = join(dir, "big.log");
  const copies = await makeBigLog(big, sizeMb);
  const sizeGb = (Bun.file(big).size / 1024 ** 3).toFixed(2);
  const cases: Array<[string, LogFilter, string[]]> = [
    ["text 'Login failed'", { text: "Login failed" }, ["-F", "-i", "-e", "Login failed", big]],
    [
      "level >= WARNING",
      { level: "WARNING" },
      ["-E", "-e", "^[0-9-]{10} [0-9:,]{12} [0-9]+ (WARNING|ERROR|CRITICAL) ", big],
    ],
    [
      "logger werkzeug",
      { logger: "werkzeug" },
      ["-E", "-e", "^[0-9-]{10} [0-9:,]{12} [0-9]+ [A-Z]+ [^ ]+ werkzeug:", big],
    ],
  ];
  for (const [name, filter, grepArgs] of cases) {
    const [tg, cg] = await timeIt(() => grepCount(grepArgs));
    const [tl, nl] = await timeIt(() => ourSearch(local, big, filter));
    rows.push([`search ${sizeGb} GB: ${name}`, "grep -c", `${ms(tg)} (${cg} lines)`, "1.00x", ""]);
    rows.push(["", "odoodeck local", `${ms(tl)} (${nl} records)`, `${(tl / tg).toFixed(2)}x`, "target ≤ 2x"]);
    if (name.startsWith("text")) {
      const [ts, ns] = await timeIt(() => ourSearch(ssh, big, filter));
      rows.push(["", "odoodeck ssh", `${ms(ts)} (${ns} records)`, `${(ts / tg).toFixed(2)}x`, ""]);
    }
  }
  rows.push(["(log)", `${copies} copies of the fixture`, "", "", ""]);
  rmSync(big);

  for (const [kind, conn] of [
    ["local", local],
    ["ssh", ssh],
  ] as const) {
    const [before, peak, n] = await rssFollowing(conn);
    rows.push([
      `RSS following 20 files (${kind})`,
      `${n} records in 5 s`,
      `${(before / 2 ** 20).toFixed(0)} → ${(peak / 2 ** 20).toFixed(0)} MiB`,
      "",
      "",
    ]);
  }
} finally {
  await ssh.close();
  await runCleanups();
  rmSync(dir, { recursive: true, force: true });
}

const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i].length)));
console.log(["measure", "tool", "result", "ratio", "note"].map((h, i) => h.padEnd(widths[i])).join(" | "));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join(" | "));
