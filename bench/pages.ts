/**
 * Render time of every page, as the server measures it (Server-Timing), for a signed-in admin:
 * a real odoodeck with the built-in plugins, two acme_prod instances on this machine (one
 * production) on the test PostgreSQL cluster, and one backup and one restore so the pages have rows.
 * Prints p50 / p95 per page over N requests; the target is p95 < 200 ms.
 * Usage: bun bench/pages.ts [N=40]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestApp } from "../tests/helpers/app.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { acmeOnDisk } from "../tests/integration/backup-helpers.ts";

const N = Number(process.argv[2] ?? 40);
const TARGET_MS = 200;
const dir = mkdtempSync(join(tmpdir(), "odoodeck-bench-pages-"));
const t = await startTestApp();

async function instance(name: string, production: boolean): Promise<number> {
  const { confPath, db } = await acmeOnDisk(dir, name);
  return t.addLocalInstance({ name, confPath, dbName: db, production });
}

/** Server time of one request, from `Server-Timing: total;dur=…`. */
async function serverMs(path: string): Promise<number> {
  const res = await t.admin.get(path);
  await res.text();
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
  const m = /dur=([\d.]+)/.exec(res.headers.get("Server-Timing") ?? "");
  if (!m) throw new Error(`${path}: no Server-Timing header`);
  return Number(m[1]);
}

try {
  const prod = await instance("prod", true);
  await instance("staging", false);
  const b = await t.admin.postJson(`/api/v1/backup/instances/${prod}/backups`, { wait: true });
  if (b.status !== 200) throw new Error(`backup: ${JSON.stringify(b.body)}`);
  const opId = b.body.data.operationId as string;

  const pages = [
    "/",
    "/instances",
    "/servers",
    "/servers/1",
    "/operations",
    `/operations/${opId}`,
    "/jobs",
    "/users",
    "/tokens",
    "/plugins",
    "/settings",
    "/audit",
    "/account",
    "/search?q=pro",
    "/palette.json",
    ...t.core
      .navEntries()
      .filter((n) => n.scope === "global")
      .map((n) => `/p/${n.plugin}${n.path}`),
    `/instances/${prod}`,
    ...t.core
      .navEntries()
      .filter((n) => n.scope === "instance")
      .map((n) => `/p/${n.plugin}/i/${prod}${n.path}`),
  ];
  const rows: Array<{ path: string; p50: number; p95: number }> = [];
  for (const path of pages) {
    await serverMs(path); // warm-up
    const times: number[] = [];
    for (let i = 0; i < N; i++) times.push(await serverMs(path));
    times.sort((a, b) => a - b);
    const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
    rows.push({ path, p50: at(50), p95: at(95) });
  }
  console.log(`| page | p50 ms | p95 ms | p95 < ${TARGET_MS} ms |\n|---|---:|---:|:-:|`);
  for (const r of rows)
    console.log(
      `| ${r.path} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p95 < TARGET_MS ? "yes" : "**no**"} |`,
    );
  console.log(
    `\n${N} requests per page after one warm-up; server time (Server-Timing), one client at a time.`,
  );
} finally {
  await t.stop();
  await runCleanups();
  rmSync(dir, { recursive: true, force: true });
}
