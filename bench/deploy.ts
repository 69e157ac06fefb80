/**
 * Deploy-to-ready of a Python-only change: odoodeck's deploy (fetch, classify, checkout, restart,
 * smoke) vs the hand path (`git pull && systemctl restart && poll /web/health`), on the same
 * stand-in systemd unit and the same repository, side by side. Run: bun bench/deploy.ts [rounds]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import deployPlugin from "../plugins/deploy/index.ts";
import { startTestApp } from "../tests/helpers/app.ts";
import { gitIn, makeUpstream, manifest } from "../tests/helpers/git-repo.ts";
import { freeLocalPort, STAND_IN_TOOLS } from "../tests/helpers/runtime.ts";

const rounds = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "odoodeck-bench-deploy-"));
process.env.PATH = `${STAND_IN_TOOLS}:${process.env.PATH}`;
process.env.STAND_IN_STATE = dir;
const up = makeUpstream(join(dir, "git"), {
  "acme_sale/__manifest__.py": manifest("ACME Sale", "17.0.1.0"),
  "acme_sale/models/sale.py": "X = 0\n",
});
const port = freeLocalPort();
const conf = join(dir, "odoo-acme.service.conf");
writeFileSync(
  conf,
  `[options]\nhttp_port = ${port}\ndata_dir = ${dir}/data\ndb_name = acme\naddons_path = ${up.server}\n`,
);
const systemctl = (...a: string[]) =>
  Bun.spawn([join(STAND_IN_TOOLS, "systemctl"), ...a], { env: { ...process.env } }).exited;
const t = await startTestApp({ plugins: [deployPlugin] });
const id = await t.addLocalInstance({ name: "acme", confPath: conf, service: "odoo-acme", dbName: "acme" });
await systemctl("start", "odoo-acme.service");

async function viaOdoodeck(i: number): Promise<number> {
  up.dev.commit(`d${i}`, { "acme_sale/models/sale.py": `X = ${i}\n` });
  up.push();
  const t0 = performance.now();
  const r = await t.admin.postJson("/api/v1/ops/deploy.run", { instance: id, ref: "main" });
  for (;;) {
    const o = (await t.admin.getJson(`/api/v1/operations/${r.body.data.operationId}`)).body.data;
    if (o.status !== "running") {
      if (o.status !== "ok") throw new Error(JSON.stringify(o.error));
      const total = performance.now() - t0;
      if (process.env.BENCH_LOG)
        console.log(
          JSON.stringify(
            (await t.admin.getJson(`/api/v1/operations/${r.body.data.operationId}`)).body.data.log,
            null,
            1,
          ),
        );
      for (const st of o.steps)
        if (st.startedAt && st.finishedAt)
          (steps[st.name] ??= []).push(Date.parse(st.finishedAt) - Date.parse(st.startedAt));
      (steps["(before the first step)"] ??= []).push(
        Date.parse(o.steps[0].startedAt) - Date.parse(o.startedAt),
      );
      return total;
    }
    await Bun.sleep(20);
  }
}

async function byHand(i: number): Promise<number> {
  up.dev.commit(`h${i}`, { "acme_sale/models/sale.py": `X = -${i}\n` });
  up.push();
  const t0 = performance.now();
  gitIn(up.server, "pull", "-q", "--ff-only");
  await systemctl("restart", "odoo-acme.service");
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/web/health`)
      .then((x) => x.ok)
      .catch(() => false);
    if (ok) return performance.now() - t0;
    await Bun.sleep(50);
  }
}

/** Where the deploy's time goes, step by step (ms, median over rounds). */
const steps: Record<string, number[]> = {};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const a: number[] = [];
const b: number[] = [];
try {
  for (let i = 1; i <= rounds; i++) {
    b.push(await byHand(i));
    a.push(await viaOdoodeck(i));
  }
  console.log(`deploy-to-ready, Python-only change, ${rounds} rounds (median):`);
  console.log(`  hand (git pull && restart && poll): ${median(b).toFixed(0)} ms`);
  console.log(`  odoodeck deploy (with classify + smoke): ${median(a).toFixed(0)} ms`);
  console.log(`  ratio odoodeck / hand: ${(median(a) / median(b)).toFixed(2)}`);
  console.log(
    `  odoodeck steps: ${Object.entries(steps)
      .map(([k, v]) => `${k} ${median(v)}`)
      .join(", ")}`,
  );
} finally {
  await t.stop();
  await systemctl("stop", "odoo-acme.service");
  rmSync(dir, { recursive: true, force: true });
}
