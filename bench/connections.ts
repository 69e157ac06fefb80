/**
 * Connection overheads, side by side with the raw tools in the same run:
 *  - round-trip latency of a trivial exec (`true`), p50/p95 over 200 runs, local and SSH loopback;
 *  - streaming 512 MB over SSH through our readFile vs `ssh … cat file > /dev/null`.
 * Run: node_modules/.bin/bun bench/connections.ts   (needs /usr/sbin/sshd; runs as root)
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalConnection } from "../server/connections/local.ts";
import { SshConnection } from "../server/connections/ssh.ts";
import type { Connection } from "../server/connections/types.ts";
import { runCleanups } from "../tests/helpers/cleanup.ts";
import { getSshd } from "../tests/helpers/sshd.ts";

const RUNS = 200;
const SIZE = 512 * 1024 * 1024;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latency(conn: Connection): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 5; i++) await conn.exec(["true"]); // warm up (connects the SSH pool)
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await conn.exec(["true"]);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: pct(times, 50), p95: pct(times, 95) };
}

async function readThroughput(conn: Connection, file: string): Promise<number> {
  const t = performance.now();
  let bytes = 0;
  for await (const chunk of conn.readFile(file)) bytes += chunk.byteLength;
  if (bytes !== SIZE) throw new Error(`read ${bytes} bytes, expected ${SIZE}`);
  return SIZE / 1024 / 1024 / ((performance.now() - t) / 1000);
}

function rawSshThroughput(s: Awaited<ReturnType<typeof getSshd>>, file: string): number {
  const t = performance.now();
  const argv = [
    "ssh",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
  ];
  const p = Bun.spawnSync(
    [...argv, "-i", s.privateKeyPath, "-p", String(s.port), `${s.username}@127.0.0.1`, "cat", file],
    { stdout: "ignore" },
  );
  if (p.exitCode !== 0) throw new Error(`ssh cat failed: ${p.stderr.toString()}`);
  return SIZE / 1024 / 1024 / ((performance.now() - t) / 1000);
}

const s = await getSshd();
const local = new LocalConnection();
const ssh = new SshConnection({ host: s.host, port: s.port, username: s.username, privateKey: s.privateKey });
const file = join(tmpdir(), `odoodeck-bench-${process.pid}.bin`);
try {
  Bun.spawnSync(["head", "-c", String(SIZE), "/dev/urandom"], { stdout: Bun.file(file) });
  const l = await latency(local);
  const r = await latency(ssh);
  const ours = await readThroughput(ssh, file);
  const raw = rawSshThroughput(s, file); // includes ssh's own connect + handshake
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  console.log(
    `load average: ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}, cpus: ${navigator.hardwareConcurrency}`,
  );
  console.table([
    { measure: "exec `true` local", p50: ms(l.p50), p95: ms(l.p95) },
    { measure: "exec `true` SSH loopback (pooled)", p50: ms(r.p50), p95: ms(r.p95) },
  ]);
  console.table([
    { measure: "512 MB over SSH: readFile (ssh2)", "MiB/s": ours.toFixed(0) },
    { measure: "512 MB over SSH: ssh … cat (OpenSSH)", "MiB/s": raw.toFixed(0) },
    { measure: "ratio readFile / ssh cat", "MiB/s": (ours / raw).toFixed(2) },
  ]);
} finally {
  rmSync(file, { force: true });
  await ssh.close();
  await runCleanups();
}
