/**
 * Core figures of the compiled binary: size, time from exec to /readyz, idle RSS, and the p50/p95
 * render time of the dashboard for a signed-in user over 300 requests.
 * Usage: npm run build && bun bench/core.ts [dist/odoodeck]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { TestClient } from "../tests/helpers/app.ts";

const bin = resolve(process.argv[2] ?? "dist/odoodeck");
const data = mkdtempSync(join(tmpdir(), "odoodeck-bench-"));
const env = { ...process.env, ODOODECK_DATA: data };
Bun.spawnSync([bin, "user", "add", "admin", "--role", "admin", "--password-stdin"], {
  stdin: Buffer.from("bench password 123"),
  env,
});
const s = Bun.serve({ port: 0, fetch: () => new Response() });
const port = s.port!;
s.stop(true);

const t0 = performance.now();
const proc = Bun.spawn([bin, "serve", "--port", String(port)], { env, stdout: "ignore", stderr: "ignore" });
const base = `http://127.0.0.1:${port}`;
for (;;) {
  try {
    if ((await fetch(`${base}/readyz`)).status === 200) break;
  } catch {}
  await Bun.sleep(5);
}
const readyMs = performance.now() - t0;
await Bun.sleep(1000);
const rss = async () =>
  Number(/VmRSS:\s+(\d+)/.exec(await Bun.file(`/proc/${proc.pid}/status`).text())![1]) / 1024;
const idle = await rss();
const c = new TestClient(base);
await c.login("admin", "bench password 123");
const times: number[] = [];
for (let i = 0; i < 300; i++) {
  const a = performance.now();
  const r = await c.get("/");
  await r.text();
  times.push(performance.now() - a);
}
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))].toFixed(2);
const after = await rss();
proc.kill("SIGTERM");
await proc.exited;
rmSync(data, { recursive: true, force: true });
console.log("| measure | value |\n|---|---|");
console.log(`| binary size | ${(statSync(bin).size / 1024 / 1024).toFixed(1)} MiB |`);
console.log(`| exec → /readyz | ${readyMs.toFixed(0)} ms |`);
console.log(`| idle RSS | ${idle.toFixed(1)} MiB |`);
console.log(`| dashboard render p50 / p95 (300 req) | ${pct(50)} / ${pct(95)} ms |`);
console.log(`| RSS after 300 renders | ${after.toFixed(1)} MiB |`);
