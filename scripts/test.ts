#!/usr/bin/env bun
/**
 * `npm test`: the whole suite as several `bun test` processes at once, each on its own share of
 * the test files. Most of the suite's time is spent waiting on real subprocesses (PostgreSQL,
 * sshd, Odoo stand-ins, Chromium), so shards overlap that waiting even on two cores.
 *
 *   bun scripts/test.ts                         every test file, in TEST_SHARDS (default 4) shards
 *   bun scripts/test.ts --reporter=junit --reporter-outfile=X
 *                                               the same; each shard writes its own JUnit, merged into X
 *   bun scripts/test.ts --shards=N …            N shards (1: one bun process, as plain `bun test`)
 *   bun scripts/test.ts <anything else>         one plain `bun test --timeout 60000 <args>`
 *                                               (a file, -t pattern, --timeout, --watch…)
 *   bun scripts/test.ts --record-timings X.xml  per-file durations of a full run's JUnit report
 *                                               into scripts/test-timings.json (balances shards)
 *
 * Each shard's output is printed whole when it finishes, under its file list, and its bun summary
 * repeated; the run fails if any shard fails or crashes, naming the shard and its files.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileTimings, type MissingShard, mergeJunit } from "./test/junit.ts";
import { findTestFiles, planShards } from "./test/plan.ts";
import { bunSummary, failedTests, type RunningShard, type ShardResult, startShard } from "./test/shard.ts";

const ROOT = resolve(import.meta.dir, "..");
const TIMINGS = join(ROOT, "scripts/test-timings.json");
const DEFAULT_SHARDS = 4;

process.chdir(ROOT);
let args = process.argv.slice(2);

if (args[0] === "--record-timings") {
  const report = args[1] ?? "reports/junit.xml";
  const timings = fileTimings(readFileSync(report, "utf8"));
  const rounded = Object.fromEntries(
    Object.entries(timings)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([f, s]) => [f, Math.round(s * 10) / 10]),
  );
  writeFileSync(TIMINGS, `${JSON.stringify(rounded, null, 2)}\n`);
  console.log(`${Object.keys(rounded).length} file timings from ${report} → ${TIMINGS}`);
  process.exit(0);
}

let shardCount = Number(process.env.TEST_SHARDS ?? DEFAULT_SHARDS);
let outfile: string | undefined;
let junit = false;
const other: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a.startsWith("--shards=")) shardCount = Number(a.slice("--shards=".length));
  else if (a === "--reporter=junit") junit = true;
  else if (a === "--reporter" && args[i + 1] === "junit") junit = !!++i;
  else if (a.startsWith("--reporter-outfile=")) outfile = a.slice("--reporter-outfile=".length);
  else if (a === "--reporter-outfile" && args[i + 1]) outfile = args[++i];
  else other.push(a);
}

if (other.length > 0 || !Number.isInteger(shardCount) || shardCount < 1 || junit !== !!outfile) {
  // Not a whole-suite run: exactly what `bun test` does with these arguments.
  args = args.filter((a) => !a.startsWith("--shards="));
  const p = Bun.spawn([process.execPath, "test", "--timeout", "60000", ...args], {
    stdio: ["inherit", "inherit", "inherit"],
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => p.kill(sig));
  process.exit(await p.exited);
}

let timings: Record<string, number> = {};
try {
  timings = JSON.parse(readFileSync(TIMINGS, "utf8"));
} catch {}
const shards = planShards(findTestFiles(ROOT), timings, shardCount);
const work = mkdtempSync(join(tmpdir(), "odoodeck-shards-"));
chmodSync(work, 0o755); // each shard's PostgreSQL runs as "postgres" inside its folder
const started = performance.now();
console.log(
  `${shards.length} test shards over ${shards.reduce((n, s) => n + s.files.length, 0)} files ` +
    `(expected ${shards.map((s) => `${Math.round(s.expected)}s`).join(", ")})`,
);

const running: RunningShard[] = shards.map((s, i) => {
  const tmp = join(work, `shard-${i + 1}`);
  mkdirSync(tmp, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  const bunArgs = junit ? ["--reporter=junit", `--reporter-outfile=${join(work, `shard-${i + 1}.xml`)}`] : [];
  // TMPDIR: what the shard leaves behind, even when killed, goes with this folder.
  return startShard(i + 1, s.files, bunArgs, { TMPDIR: tmp, TEST_SHARD: String(i + 1) });
});

let interrupted = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping ${running.length} shards`);
    for (const r of running) r.kill("SIGTERM");
    setTimeout(() => {
      for (const r of running) r.kill("SIGKILL");
    }, 5000).unref();
  });
}

// A line a minute, so a long run does not look stuck: how far each shard got (bun names each
// file as it starts it).
const finished = new Set<number>();
const progress = setInterval(() => {
  const at = running
    .filter((r) => !finished.has(r.index))
    .map(
      (r) =>
        `shard ${r.index} ${r.output().match(/^\S+[._](test|spec)\.[cm]?[jt]sx?:$/gm)?.length ?? 0}/${r.files.length} files`,
    );
  console.log(`[${((performance.now() - started) / 60_000).toFixed(0)} min] ${at.join(", ")}`);
}, 60_000);

const rule = "=".repeat(100);
const results: ShardResult[] = [];
await Promise.all(
  running.map(async (r) => {
    const res = await r.done;
    finished.add(res.index);
    results.push(res);
    const ok = res.code === 0;
    console.log(`\n${rule}\nshard ${res.index}/${shards.length}: ${res.files.length} files`);
    for (const f of res.files) console.log(`  ${f}`);
    console.log(rule);
    process.stdout.write(res.output);
    console.log(rule);
    console.log(
      `shard ${res.index} ${ok ? "passed" : "FAILED"} in ${res.seconds.toFixed(0)}s` +
        ` (${res.signal ? `killed by ${res.signal}` : `exit ${res.code}`}): ${bunSummary(res.output)}`,
    );
    if (res.leftovers) console.log(`shard ${res.index} left ${res.leftovers} processes running: killed`);
    console.log(rule);
  }),
);
clearInterval(progress);
const seconds = (performance.now() - started) / 1000;

if (junit && outfile) {
  const reports: string[] = [];
  const missing: MissingShard[] = [];
  for (const r of results.sort((a, b) => a.index - b.index)) {
    const file = join(work, `shard-${r.index}.xml`);
    try {
      reports.push(readFileSync(file, "utf8"));
    } catch {
      missing.push({
        name: `test shard ${r.index} wrote no JUnit report`,
        message: `exit ${r.code ?? r.signal}; its files: ${r.files.join(" ")}`,
      });
    }
  }
  mkdirSync(dirname(resolve(outfile)), { recursive: true });
  writeFileSync(outfile, mergeJunit(reports, missing, Math.round(seconds * 1000) / 1000));
}
rmSync(work, { recursive: true, force: true });

const failed = results.filter((r) => r.code !== 0);
console.log(`\n${results.length} shards in ${seconds.toFixed(0)}s:`);
for (const r of results) {
  const state = r.code === 0 ? "ok" : r.signal ? `killed by ${r.signal}` : `FAILED (exit ${r.code})`;
  console.log(`  shard ${r.index}: ${state}, ${r.seconds.toFixed(0)}s, ${bunSummary(r.output)}`);
}
for (const r of failed) {
  console.log(`\nshard ${r.index} failed; its files: ${r.files.join(" ")}`);
  for (const l of failedTests(r.output)) console.log(`  ${l}`);
}
process.exit(interrupted ? 130 : failed.length ? 1 : 0);
