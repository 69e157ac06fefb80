/**
 * Restart-to-ready of a managed Odoo (the stand-in odoo-bin, which loads for 300 ms before it
 * listens) through ManagedRuntime, side by side with what one does by hand in the same run:
 * `kill` the process, start it again, poll /web/health with curl every 100 ms.
 * Deploy-to-ready comes with deployments. Run: node_modules/.bin/bun bench/runtime.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalConnection } from "../server/connections/local.ts";
import { ManagedRuntime } from "../server/runtime/managed.ts";
import { STAND_IN_ODOO } from "../tests/helpers/runtime.ts";

const RUNS = 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), "odoodeck-bench-rt-"));

async function managed(): Promise<number[]> {
  const rt = new ManagedRuntime({
    connection: new LocalConnection(),
    name: "bench",
    odooBin: [STAND_IN_ODOO],
    workDir: join(dir, "m"),
    db: "acme_prod",
  });
  await rt.start();
  await rt.waitReady();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await rt.restart();
    await rt.waitReady();
    times.push(performance.now() - t);
  }
  await rt.stop();
  return times;
}

/** By hand: the conf the managed run wrote, a plain process, kill + start + a curl poll loop. */
async function byHand(): Promise<number[]> {
  const conf = join(dir, "m", "odoo.conf");
  const url = `http://127.0.0.1:${/http_port = (\d+)/.exec(await Bun.file(conf).text())![1]}/web/health`;
  const spawn = () => Bun.spawn([STAND_IN_ODOO, "-c", conf], { stdout: "ignore", stderr: "ignore" });
  const poll = async () => {
    while ((await Bun.spawn(["curl", "-sf", "-o", "/dev/null", url]).exited) !== 0) await Bun.sleep(100);
  };
  let p = spawn();
  await poll();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    p.kill("SIGTERM");
    await p.exited;
    p = spawn();
    await poll();
    times.push(performance.now() - t);
  }
  p.kill("SIGTERM");
  await p.exited;
  return times;
}

try {
  const m = median(await managed());
  const h = median(await byHand());
  console.log(`restart-to-ready, median of ${RUNS}:`);
  console.log(`  odoodeck managed runtime  ${m.toFixed(0)} ms`);
  console.log(`  kill + start + curl poll  ${h.toFixed(0)} ms`);
  console.log(`  ratio managed/by-hand     ${(m / h).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
