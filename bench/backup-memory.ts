/**
 * Is the backup stream's memory flat? Streams N GiB from a producer on the instance's server
 * (here: the local connection, through the same `produce` wrapper backups use) through `fanOut`
 * to two local destinations at once, for several sizes, and prints the peak RSS above the
 * process's start. Flat means the figure does not grow with the size.
 *
 * Run: node_modules/.bin/bun bench/backup-memory.ts [--sizes 0.25,1,4]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localConnection } from "../tests/helpers/local-connection.ts";
import { LocalDestination } from "../plugins/backup/destinations/local.ts";
import { fanOut } from "../plugins/backup/archive/fanout.ts";
import { produce } from "../plugins/backup/archive/pipeline.ts";

const i = process.argv.indexOf("--sizes");
const sizes = (i > 0 ? process.argv[i + 1] : "0.25,1,4").split(",").map(Number);
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]) / 1024;

const conn = await localConnection();
const base = rssMb();
console.log(`start RSS ${base.toFixed(0)} MiB`);
for (const gib of sizes) {
  const dir = mkdtempSync(join(tmpdir(), "odoodeck-bench-mem-"));
  const a = new LocalDestination(join(dir, "a"));
  const b = new LocalDestination(join(dir, "b"));
  let peak = rssMb();
  const poll = setInterval(() => (peak = Math.max(peak, rssMb())), 25);
  const t0 = performance.now();
  const p = produce(conn, ["head", "-c", String(Math.round(gib * 1024 ** 3)), "/dev/zero"], {
    compress: false,
    what: "bench stream",
  });
  const r = await fanOut(p.stdout, [(s) => a.write("part", s), (s) => b.write("part", s)]);
  await p.finished;
  clearInterval(poll);
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${gib} GiB → 2 destinations: ${(r.bytes / 1024 ** 3).toFixed(2)} GiB in ${secs.toFixed(1)} s, peak RSS +${(peak - base).toFixed(0)} MiB`,
  );
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
